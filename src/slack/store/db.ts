import pg from 'pg';

/** The bot's own connection to its tables; it never shares the OMS's pool (it may run elsewhere). */
export function createSlackPool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, application_name: 'paper-desk-slack' });
  // An idle client losing its connection must not crash the bot; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** A pool or a client inside a transaction: the store functions work with either. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
