// The embedded server's data directory tells a command (npm run reconcile, keys) where the running
// service's server listens, so the command uses it instead of failing on a directory in use.

import { afterAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runningEmbeddedUrl, startEmbeddedPostgres, type EmbeddedPostgresServer } from '../../src/db/embedded-postgres.js';

// Not yet made: the server creates it searchable by the user PostgreSQL runs as.
const parent = join(tmpdir(), `paper-desk-embedded-${process.pid}-${Date.now()}`);
let server: EmbeddedPostgresServer | null = null;

afterAll(async () => {
  await server?.stop();
  rmSync(parent, { recursive: true, force: true });
});

describe('runningEmbeddedUrl', () => {
  it('finds the server running on a data directory, and nothing once it has stopped', async () => {
    const dataDir = join(parent, 'pg');
    expect(runningEmbeddedUrl(dataDir)).toBeNull();
    server = await startEmbeddedPostgres({ dataDir, persistent: true, database: 'desk' });

    const url = runningEmbeddedUrl(dataDir, 'desk');
    expect(url).toBe(server.url);
    const client = new pg.Client({ connectionString: url! });
    await client.connect();
    expect((await client.query<{ db: string }>('SELECT current_database() AS db')).rows).toEqual([{ db: 'desk' }]);
    await client.end();

    expect(runningEmbeddedUrl(join(parent, 'elsewhere'))).toBeNull();
    await server.stop();
    server = null;
    expect(runningEmbeddedUrl(dataDir)).toBeNull();
  }, 120_000);
});
