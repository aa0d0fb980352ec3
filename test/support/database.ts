// A database of its own for a test file: a copy of the template migrated once by the global setup
// (CREATE DATABASE ... TEMPLATE, ~100 ms), dropped by `drop()`; leftovers go with the server at the
// end of the run (or are dropped by the teardown on a TEST_DATABASE_URL server).

import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  name: string;
  /** Drops the database, closing any connection still open on it. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** false: an empty database (from template0) instead of a migrated one. Default true. */
  migrated?: boolean;
}

let counter = 0;

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: test/support/global-setup.ts must run first (see jest.config.js).`);
  }
  return value;
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = requireEnv('TEST_DATABASE_ADMIN_URL');
  const migrated = options.migrated ?? true;
  let template = 'template0';
  if (migrated) {
    const configured = process.env.TEST_DATABASE_TEMPLATE;
    if (!configured) {
      throw new Error(
        `No migrated template database: ${process.env.TEST_DATABASE_TEMPLATE_ERROR ?? 'global setup did not create one'}`,
      );
    }
    template = configured;
  }
  const prefix = process.env.TEST_DATABASE_PREFIX ?? 'pdt';
  const name = `${prefix}_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;

  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${quote(name)} TEMPLATE ${quote(template)}`));

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`));
    },
  };
}
