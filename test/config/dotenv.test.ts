import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DotEnvError, loadDotEnv } from '../../src/config/dotenv.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'paper-desk-dotenv-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function envFile(text: string): string {
  const file = join(dir, `env-${++files}`);
  writeFileSync(file, text);
  return file;
}

function errorOf(file: string): string {
  try {
    loadDotEnv(file, {});
  } catch (e) {
    expect(e).toBeInstanceOf(DotEnvError);
    return (e as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('.env', () => {
  it('sets the variables the environment lacks, with Node\'s parser (comments, export, quotes, values spanning lines)', () => {
    const file = envFile(['# the desk', 'PORT=4000', 'export LOG_LEVEL=debug', '', 'CORS_ORIGINS="https://a.example, https://b.example" # two', "OMS_API_KEY='key with # inside'", 'MULTI="one', 'two"', 'EMPTY=', '  SPACED = yes  ', 'CRLF=1\r', ''].join('\n'));
    const env: NodeJS.ProcessEnv = {};
    expect(loadDotEnv(file, env).sort()).toEqual(['CORS_ORIGINS', 'CRLF', 'EMPTY', 'LOG_LEVEL', 'MULTI', 'OMS_API_KEY', 'PORT', 'SPACED']);
    expect(env).toEqual({
      PORT: '4000',
      LOG_LEVEL: 'debug',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      OMS_API_KEY: 'key with # inside',
      MULTI: 'one\ntwo',
      EMPTY: '',
      SPACED: 'yes',
      CRLF: '1',
    });
  });

  it('never replaces a variable the environment already has, even an empty one', () => {
    const file = envFile('PORT=4000\nHOST=127.0.0.1\nDATA_DIR=from-file\n');
    const env: NodeJS.ProcessEnv = { PORT: '5000', HOST: '' };
    expect(loadDotEnv(file, env)).toEqual(['DATA_DIR']);
    expect(env).toEqual({ PORT: '5000', HOST: '', DATA_DIR: 'from-file' });
  });

  it('is optional: no file, nothing set', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(loadDotEnv(join(dir, 'missing.env'), env)).toEqual([]);
    expect(env).toEqual({});
  });

  it('refuses a line that is not NAME=value, naming the line and never quoting it', () => {
    const message = errorOf(envFile('PORT=3000\n# fine\nSLACK_BOT_TOKEN xoxb-secret-value\n'));
    expect(message).toBe(`${join(dir, `env-${files}`)} line 3: expected NAME=value`);
    expect(message).not.toContain('xoxb');
    expect(errorOf(envFile('=value\n'))).toMatch(/ line 1: expected NAME=value$/);
    expect(errorOf(envFile('1PORT=3000\n'))).toMatch(/ line 1: expected NAME=value$/);
  });

  it('refuses a quoted value that never ends', () => {
    expect(errorOf(envFile('PORT=3000\nOMS_API_KEY="abc\nHOST=x\n'))).toMatch(/ line 2: the quoted value of OMS_API_KEY is never closed$/);
  });

  it('refuses a .env that cannot be read, in one line', () => {
    const folder = join(dir, 'a-folder.env');
    mkdirSync(folder);
    expect(errorOf(folder)).toBe(`${folder} could not be read (EISDIR)`);
  });
});

describe('.env for the commands (in child processes, from the sources)', () => {
  let db: TestDatabase;
  let cwd: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    cwd = mkdtempSync(join(tmpdir(), 'paper-desk-cwd-'));
  });

  afterAll(async () => {
    rmSync(cwd, { recursive: true, force: true });
    await db?.drop();
  });

  /** Runs an entry point from the sources, in `cwd`, with only `env` (and PATH) set. */
  function run(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs'), join(root, 'src', script)],
        { cwd, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  const described = (url: string) => {
    const u = new URL(url);
    return `Datasource: PostgreSQL database "${u.pathname.slice(1)}", schema "public" at "${u.hostname}:${u.port}"`;
  };

  it('reads DATABASE_URL from .env in the working directory', async () => {
    writeFileSync(join(cwd, '.env'), `# local settings\nDATABASE_URL=${db.url}\n`);
    const out = await run('db/migrate-cli.ts', {});
    expect(out.stdout).toContain(described(db.url));
    expect(out.code).toBe(0);
  }, 60_000);

  it('lets the environment win over .env', async () => {
    const nowhere = 'postgres://nobody:secret@127.0.0.1:9/nowhere';
    writeFileSync(join(cwd, '.env'), `DATABASE_URL=${nowhere}\n`);
    const out = await run('db/migrate-cli.ts', { DATABASE_URL: db.url });
    expect(out.stdout).toContain(described(db.url));
    expect(out.stdout).not.toContain('nowhere');
    expect(out.code).toBe(0);
  }, 60_000);

  it('stops on a malformed .env with one line saying where', async () => {
    writeFileSync(join(cwd, '.env'), `DATABASE_URL=${db.url}\nthis is not a setting\n`);
    const out = await run('db/migrate-cli.ts', {});
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe('invalid configuration: .env line 2: expected NAME=value\n');
  }, 60_000);

  it.each(['server.ts', 'slack/main.ts', 'cli/keys.ts', 'cli/reconcile.ts'])('%s reads .env too: a malformed one stops it before it does anything', async (script) => {
    writeFileSync(join(cwd, '.env'), 'PORT=0\nSLACK_BOT_TOKEN\n');
    const out = await run(script, { DATA_DIR: join(cwd, 'never-created') });
    expect({ code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({ code: 1, stdout: '', stderr: 'invalid configuration: .env line 2: expected NAME=value\n' });
    expect(existsSync(join(cwd, 'never-created'))).toBe(false);
  }, 60_000);
});
