import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..', '..');
export const CLUSTER_ADMIN_KEY = 'cluster-admin-key-0123456789abcdef';

/** A real OMS process (`src/server.ts` through tsx) of a cluster over the test's database. */
export interface OmsProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  readonly baseUrl: string;
  /** Resolves when the process has exited (any way). */
  readonly exited: Promise<number | null>;
  signal(signal: NodeJS.Signals): void;
}

export async function startOmsProcess(name: string, databaseUrl: string, env: Record<string, string> = {}): Promise<OmsProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      OMS_API_KEY: CLUSTER_ADMIN_KEY,
      CLUSTER_MODE: 'on',
      CLUSTER_LEASE_MS: '1000',
      SIMULATOR_ENABLED: 'false',
      MARKET_MAKER_ENABLED: 'false',
      RATE_LIMIT_PER_MINUTE: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let log = '';
  const port = await new Promise<number>((resolvePort, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /"port":(\d+)[^\n]*paper desk listening/.exec(log);
      if (m) {
        child.stdout!.off('data', onData);
        resolvePort(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    void exited.then((code) => reject(new Error(`${name} exited (${code}) before listening:\n${log.slice(-3000)}`)));
  });
  // Keep reading, so a full pipe never blocks the process; CLUSTER_TEST_LOGS=<dir> keeps each one's log.
  const logs = process.env.CLUSTER_TEST_LOGS;
  if (logs) {
    appendFileSync(join(logs, `${name}.log`), log);
    child.stdout!.on('data', (c: Buffer) => appendFileSync(join(logs, `${name}.log`), c));
  }
  child.stdout!.resume();
  return {
    name,
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    exited,
    signal: (s) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(s);
    },
  };
}

/** SIGTERM, then waits for the exit (drained, committed, leases released). */
export async function stopOmsProcess(p: OmsProcess): Promise<void> {
  p.signal('SIGTERM');
  await p.exited;
}

export async function call(base: string, method: string, path: string, key: string | null, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { ...(key ? { 'x-api-key': key } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Polls until `check` answers something other than undefined, or fails after `ms`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
