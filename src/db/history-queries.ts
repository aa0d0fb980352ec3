import type { PrismaClient } from './prisma-client.js';
import { ORDER_COLUMNS, toOrderRow, tradeFields, type OrderSqlRow, type TradeSqlColumns } from './oms-store.js';
import type { StoredOrder } from '../oms/ports.js';
import { storableText } from './storable.js';

export interface StoredTrade {
  readonly id: bigint;
  readonly symbol: string;
  readonly price: number;
  readonly quantity: number;
  readonly gmv: bigint;
  readonly aggressorSide: 'BUY' | 'SELL';
  readonly buyOrderId: number | null;
  readonly sellOrderId: number | null;
  readonly buyPortfolio: string;
  readonly sellPortfolio: string;
  readonly kind: 'MATCH' | 'BOOKED';
  readonly buyFee: bigint;
  readonly sellFee: bigint;
  readonly createdAt: Date;
}

export interface Page<T> {
  readonly data: T[];
  readonly nextCursor: string | null;
}

export interface OrderFilter {
  /** Orders of this desk's portfolios only. */
  deskId: number;
  portfolioIds?: number[];
  symbol?: string;
  statuses?: string[];
  /** The user_id given when the order was placed. */
  userId?: string;
  cursor?: number;
  limit: number;
}

export interface TradeFilter {
  /** Trades of this desk only (both sides of a trade are of one desk). */
  deskId: number;
  portfolioIds?: number[];
  symbol?: string;
  orderId?: number;
  /**
   * Trades of orders placed with this user_id: a trade matches by its side whose portfolio the
   * listing may show, so a filter never tells whose the other side's order was. A booked trade
   * (POST /trade with gmv) has no order, so it matches no user.
   */
  userId?: string;
  /** Ascending from after this id (a stream reader's position), instead of newest first. */
  sinceId?: bigint;
  cursor?: bigint;
  limit: number;
}

const TRADE_COLUMNS = `t.id, t.symbol, t.price::text, t.quantity, t.gmv::text, t.aggressor_side::text,
  t.buy_order_id, t.sell_order_id, bp.name AS buy_portfolio, sp.name AS sell_portfolio, t.kind, t.buy_fee::text, t.sell_fee::text, t.created_at`;

interface TradeSqlRow extends TradeSqlColumns {
  buy_order_id: bigint | null;
  sell_order_id: bigint | null;
  buy_portfolio: string;
  sell_portfolio: string;
  kind: string;
}

/** Read side of orders and trades: keyset pagination on ids, filters as SQL parameters. */
export class HistoryQueries {
  constructor(private readonly prisma: PrismaClient) {}

  async orders(f: OrderFilter): Promise<Page<StoredOrder>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    add('p.desk_id = ?::int', f.deskId);
    if (f.portfolioIds) add('o.portfolio_id = ANY(?::int[])', f.portfolioIds);
    // Filters compare with text as the batch stored it (and a NUL would fail the query itself).
    if (f.symbol) add('o.symbol = ?', storableText(f.symbol));
    if (f.statuses) add('o.status::text = ANY(?::text[])', f.statuses);
    if (f.userId !== undefined) add('o.user_id = ?', storableText(f.userId));
    if (f.cursor !== undefined) add('o.id < ?::bigint', String(f.cursor));
    params.push(f.limit + 1);
    const rows = await this.prisma.$queryRawUnsafe<OrderSqlRow[]>(
      `SELECT ${ORDER_COLUMNS} FROM orders o JOIN portfolios p ON p.id = o.portfolio_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY o.id DESC LIMIT $${params.length}`,
      ...params,
    );
    return page(rows.map(toOrderRow), f.limit, (o) => String(o.id));
  }

  async trades(f: TradeFilter): Promise<Page<StoredTrade>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]): void => {
      let out = sql;
      for (const v of values) {
        params.push(v);
        out = out.replace('?', `$${params.length}`);
      }
      where.push(out);
    };
    add('bp.desk_id = ?::int', f.deskId);
    if (f.portfolioIds) add('(t.buy_portfolio_id = ANY(?::int[]) OR t.sell_portfolio_id = ANY(?::int[]))', f.portfolioIds, f.portfolioIds);
    if (f.symbol) add('t.symbol = ?', storableText(f.symbol));
    if (f.orderId !== undefined) add('(t.buy_order_id = ?::bigint OR t.sell_order_id = ?::bigint)', String(f.orderId), String(f.orderId));
    if (f.userId !== undefined) {
      const userId = storableText(f.userId);
      const byUser = (side: 'buy' | 'sell') => `EXISTS (SELECT 1 FROM orders o WHERE o.id = t.${side}_order_id AND o.user_id = ?)`;
      if (f.portfolioIds) {
        add(
          `((t.buy_portfolio_id = ANY(?::int[]) AND ${byUser('buy')}) OR (t.sell_portfolio_id = ANY(?::int[]) AND ${byUser('sell')}))`,
          f.portfolioIds,
          userId,
          f.portfolioIds,
          userId,
        );
      } else add(`(${byUser('buy')} OR ${byUser('sell')})`, userId, userId);
    }
    const ascending = f.sinceId !== undefined;
    if (f.sinceId !== undefined) {
      // Ascending pages go on from next_cursor (the last id of the previous page), past since_id.
      const after = f.cursor !== undefined && f.cursor > f.sinceId ? f.cursor : f.sinceId;
      add('t.id > ?::bigint', String(after));
    } else if (f.cursor !== undefined) add('t.id < ?::bigint', String(f.cursor));
    params.push(f.limit + 1);
    const rows = await this.prisma.$queryRawUnsafe<TradeSqlRow[]>(
      `SELECT ${TRADE_COLUMNS} FROM trades t JOIN portfolios bp ON bp.id = t.buy_portfolio_id
       JOIN portfolios sp ON sp.id = t.sell_portfolio_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY t.id ${ascending ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
      ...params,
    );
    return page(rows.map(toTrade), f.limit, (t) => String(t.id));
  }

  /** A trade of the desk; another desk's answers as an unknown id. */
  async trade(id: bigint, deskId: number): Promise<StoredTrade | null> {
    const rows = await this.prisma.$queryRawUnsafe<TradeSqlRow[]>(
      `SELECT ${TRADE_COLUMNS} FROM trades t JOIN portfolios bp ON bp.id = t.buy_portfolio_id
       JOIN portfolios sp ON sp.id = t.sell_portfolio_id WHERE t.id = $1::bigint AND bp.desk_id = $2::int`,
      String(id),
      deskId,
    );
    return rows.length ? toTrade(rows[0]) : null;
  }

  /** An order of the desk; another desk's answers as an unknown id. */
  async order(id: number, deskId: number): Promise<StoredOrder | null> {
    const rows = await this.prisma.$queryRawUnsafe<OrderSqlRow[]>(
      `SELECT ${ORDER_COLUMNS} FROM orders o JOIN portfolios p ON p.id = o.portfolio_id WHERE o.id = $1::bigint AND p.desk_id = $2::int`,
      String(id),
      deskId,
    );
    return rows.length ? toOrderRow(rows[0]) : null;
  }
}

function page<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Page<T> {
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  return { data, nextCursor: more ? cursorOf(data[data.length - 1]) : null };
}

function toTrade(r: TradeSqlRow): StoredTrade {
  return {
    ...tradeFields(r),
    buyOrderId: r.buy_order_id === null ? null : Number(r.buy_order_id),
    sellOrderId: r.sell_order_id === null ? null : Number(r.sell_order_id),
    buyPortfolio: r.buy_portfolio,
    sellPortfolio: r.sell_portfolio,
    kind: r.kind as StoredTrade['kind'],
  };
}
