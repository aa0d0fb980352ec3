import type pg from 'pg';
import { IdBlocks } from '../oms/id-blocks.js';
import type { BatchRows } from '../oms/ports.js';

/** Trades per block a desk reserves: one update of the shared sequence row per this many trades. */
export const TRADE_ID_BLOCK = 1000;

/**
 * Numbers each desk's trades from blocks of ids reserved in the database, when the desk's batch
 * closes. Taking the ids in the batch statement instead would lock the one sequence row in every
 * statement of every process, and the processes of a cluster would commit one after another.
 * A desk's batches close one after another in commit order and its ids only grow, so within a desk
 * trade ids follow commit order (the trade feed and `GET /trades?since_id=` rely on it); the ids of
 * a refused statement are burnt, never given again. A block is reserved above every id reserved
 * before, so a desk that loads again (after a refused commit, or taken over from another process)
 * starts above all its earlier owners wrote.
 */
export class TradeNumbering {
  private readonly blocks = new Map<number, IdBlocks>();

  constructor(private readonly pool: pg.Pool) {}

  /** Drops the desk's block: its next trade gets an id of a fresh block (called as the desk loads). */
  restart(deskId: number): void {
    this.blocks.delete(deskId);
  }

  /**
   * Gives the batch's trades their ids, in the order the desk applied them, and returns the id its
   * events follow when none of the batch's trades precede them (see DeskBatch.tradeIdBefore).
   */
  async number(deskId: number, rows: BatchRows): Promise<bigint | undefined> {
    if (rows.trades.length === 0 && rows.portfolioEvents.length === 0) return undefined;
    const ids = this.blocksOf(deskId);
    await ids.ready();
    const before = BigInt(ids.peek() - 1);
    for (const trade of rows.trades) {
      await ids.ready();
      trade.id = BigInt(ids.next());
    }
    return before;
  }

  private blocksOf(deskId: number): IdBlocks {
    let ids = this.blocks.get(deskId);
    if (!ids) {
      ids = new IdBlocks((count) => this.reserve(count), TRADE_ID_BLOCK);
      this.blocks.set(deskId, ids);
    }
    return ids;
  }

  private async reserve(count: number): Promise<number> {
    const { rows } = await this.pool.query<{ first: string }>(
      `UPDATE id_sequences SET next = next + $1::bigint WHERE name = 'trade' RETURNING next - $1::bigint AS first`,
      [count],
    );
    if (rows.length === 0) throw new Error('id sequence trade missing');
    return Number(rows[0].first);
  }
}
