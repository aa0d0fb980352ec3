// Jest global teardown: stops the embedded PostgreSQL (its temp data dir goes with it) or, on a
// TEST_DATABASE_URL server, drops the databases this run created.

import { rmSync } from 'node:fs';
import pg from 'pg';
import type { TestDbState } from './global-setup.js';

async function dropRunDatabases(state: TestDbState): Promise<void> {
  const client = new pg.Client({ connectionString: state.adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`${state.prefix}\\_%`],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname.replace(/"/g, '""')}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__PAPER_DESK_TEST_DB__;
  if (!state) return;
  globalThis.__PAPER_DESK_TEST_DB__ = undefined;
  if (state.external) {
    await dropRunDatabases(state);
    return;
  }
  await state.stop?.();
  if (state.dataDir) rmSync(state.dataDir, { recursive: true, force: true });
}
