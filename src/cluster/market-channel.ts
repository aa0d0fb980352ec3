import pg from 'pg';
import type { Logger } from 'pino';

/** The PostgreSQL channel the market lease holder publishes on and every process listens to. */
export const MARKET_CHANNEL = 'market_data';

/**
 * Listens on the market channel on a connection of its own, listening again after a lost one (what
 * was published meanwhile is missed: the next flush carries the latest of each symbol anyway).
 * Answers how to stop.
 */
export async function listenMarket(databaseUrl: string, deliver: (payload: string) => void, logger: Logger): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  const listen = async (): Promise<void> => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: databaseUrl });
    client = c;
    const again = (error?: unknown) => {
      if (stopped || client !== c) return;
      client = null;
      logger.warn({ err: error }, 'listening for the cluster market data failed; listening again');
      void c.end().catch(() => undefined);
      retry = setTimeout(() => void listen(), 500);
    };
    c.on('error', again);
    c.on('end', () => again());
    c.on('notification', (n) => {
      if (n.channel === MARKET_CHANNEL && n.payload) deliver(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${MARKET_CHANNEL}`);
    } catch (error) {
      again(error);
    }
  };
  await listen();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    await (client as pg.Client | null)?.end().catch(() => undefined);
  };
}

/**
 * Publishes on the market channel only while `member` holds the lease row `key` at `epoch` and it
 * has not run out (the database's clock): a holder that lost the market publishes nothing, even
 * if it has not noticed yet.
 */
export function fencedMarketPublish(pool: pg.Pool, key: number, member: string, epoch: number): (payload: string) => Promise<void> {
  return async (payload) => {
    await pool.query(
      `SELECT pg_notify('${MARKET_CHANNEL}', $1) FROM desk_leases
       WHERE desk_id = $2 AND owner = $3 AND epoch = $4::bigint AND expires_at > now()`,
      [payload, key, member, String(epoch)],
    );
  };
}
