// Jest global setup: one PostgreSQL for the whole run.
//
// - TEST_DATABASE_URL set: that database is migrated and used (DATABASE_URL = TEST_DATABASE_URL).
// - Otherwise an embedded PostgreSQL starts in a unique temp dir (deleted by the teardown).
//
// Either way a template database is migrated once with our migrator, so each test file can get a
// fresh, migrated database of its own in ~100 ms (test/support/database.ts):
//   DATABASE_URL             a migrated database shared by the run
//   TEST_DATABASE_ADMIN_URL  the server's `postgres` maintenance database (CREATE/DROP DATABASE)
//   TEST_DATABASE_TEMPLATE   the migrated template (connections to it are disabled)
//   TEST_DATABASE_PREFIX     name prefix of the databases created by this run

import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type * as EmbeddedPostgresModule from '../../src/db/embedded-postgres.js';
import type * as MigratorModule from '../../src/db/migrator.js';

export interface TestDbState {
  stop?: () => Promise<void>;
  dataDir?: string;
  adminUrl: string;
  prefix: string;
  external: boolean;
}

declare global {
  // Shared with global-teardown.ts (same process).
  var __PAPER_DESK_TEST_DB__: TestDbState | undefined;
}

const DIR_PREFIX = 'paper-desk-test-pg-';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  u.searchParams.delete('schema');
  return u.toString();
}

/**
 * A jest run killed hard (SIGKILL) cannot run its teardown: its server and temp dir stay behind.
 * The dir name carries the jest pid; when that process is gone, stop its postmaster and delete it.
 */
async function reapAbandonedClusters(isAlive: (pid: number) => boolean): Promise<void> {
  for (const name of readdirSync(tmpdir())) {
    const m = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    const dir = join(tmpdir(), name);
    try {
      const pid = Number.parseInt(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
      const cmdline = isAlive(pid) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
      if (cmdline.split('\0').includes(dir)) {
        process.kill(pid, 'SIGINT');
        for (let i = 0; i < 200 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      }
    } catch {
      /* no pid file: nothing running */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Jest loads the global setup outside its module system (transpiled to CommonJS, no
 * moduleNameMapper, no import.meta): project modules are loaded by path from the root dir.
 */
async function loadProjectModules(rootDir: string) {
  const load = (file: string): Promise<unknown> => import(join(rootDir, file));
  return {
    ...((await load('src/db/embedded-postgres.ts')) as typeof EmbeddedPostgresModule),
    ...((await load('src/db/migrator.ts')) as typeof MigratorModule),
  };
}

export default async function globalSetup(globalConfig: { rootDir: string }): Promise<void> {
  const started = performance.now();
  const { startEmbeddedPostgres, applyMigrations, isProcessAlive } = await loadProjectModules(globalConfig.rootDir);
  const MIGRATIONS_DIR = join(globalConfig.rootDir, 'prisma', 'migrations');
  const runId = randomBytes(4).toString('hex');
  const external = Boolean(process.env.TEST_DATABASE_URL);
  const prefix = external ? `pdt_${runId}` : 'pdt';
  const template = `${prefix}_template`;

  let state: TestDbState;
  if (external) {
    const url = process.env.TEST_DATABASE_URL as string;
    state = { adminUrl: withDatabase(url, 'postgres'), prefix, external };
    await applyMigrations(url, MIGRATIONS_DIR);
    process.env.DATABASE_URL = url;
    try {
      await adminQuery(state.adminUrl, `CREATE DATABASE "${template}" TEMPLATE template0`);
      await applyMigrations(withDatabase(url, template), MIGRATIONS_DIR);
      await adminQuery(state.adminUrl, `ALTER DATABASE "${template}" WITH ALLOW_CONNECTIONS false`);
      process.env.TEST_DATABASE_TEMPLATE = template;
    } catch (err) {
      // No CREATEDB right: tests that need a database of their own will say so.
      process.env.TEST_DATABASE_TEMPLATE_ERROR = err instanceof Error ? err.message : String(err);
    }
  } else {
    await reapAbandonedClusters(isProcessAlive);
    const dataDir = join(tmpdir(), `${DIR_PREFIX}${process.pid}-${runId}`);
    const server = await startEmbeddedPostgres({
      dataDir,
      persistent: false,
      database: template,
      // A throwaway cluster: durability buys nothing here, speed does.
      postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    });
    state = { stop: server.stop, dataDir, adminUrl: server.adminUrl, prefix, external };
    globalThis.__PAPER_DESK_TEST_DB__ = state;
    try {
      await applyMigrations(server.url, MIGRATIONS_DIR);
      await adminQuery(server.adminUrl, `ALTER DATABASE "${template}" WITH ALLOW_CONNECTIONS false`);
      await adminQuery(server.adminUrl, `CREATE DATABASE "${prefix}_main" TEMPLATE "${template}"`);
    } catch (err) {
      // Jest skips the teardown when the setup throws: leave nothing running.
      await server.stop().catch(() => {});
      globalThis.__PAPER_DESK_TEST_DB__ = undefined;
      throw err;
    }
    process.env.DATABASE_URL = withDatabase(server.url, `${prefix}_main`);
    process.env.TEST_DATABASE_TEMPLATE = template;
  }

  globalThis.__PAPER_DESK_TEST_DB__ = state;
  process.env.TEST_DATABASE_ADMIN_URL = state.adminUrl;
  process.env.TEST_DATABASE_PREFIX = prefix;

  if (process.env.EMBEDDED_PG_DEBUG || process.env.TEST_DB_TIMING) {
    const where = external ? 'TEST_DATABASE_URL' : 'embedded PostgreSQL';
    process.stderr.write(`\n[test-db] global setup ${(performance.now() - started).toFixed(0)} ms, ${where}\n`);
  }
}
