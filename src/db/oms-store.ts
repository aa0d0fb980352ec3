import type pg from 'pg';
import { MAIN_DESK_ID } from './desks.js';
import { WriterRole } from './writer-role.js';
import type { PrismaClient } from './prisma-client.js';
import { decimalToUnits, formatUnits } from '../oms/units.js';
import type { PortfolioState, TradeRecord } from '../oms/model.js';
import { storableJson, storableText, storableTextOrNull } from './storable.js';
import { WriterReplacedError, type BatchRows, type InstrumentRow, type LoadedState, type OmsStore, type OrderRow, type StoredOrder } from '../oms/ports.js';

type Tx = Pick<PrismaClient, '$queryRawUnsafe'>;

/** Orders: inserted when new, otherwise their changing columns updated. */
function orderUpsert(a: string[]): string {
  return `INSERT INTO orders (id, client_order_id, portfolio_id, symbol, side, type, time_in_force, quantity,
  filled_quantity, filled_notional, limit_price, stop_price, status, reason, waiting, priority, user_id,
  origin, created_at, updated_at)
SELECT u.id::bigint, u.cid, u.pid::int, u.sym, u.side::"Side", u.type::"OrderType", u.tif::"TimeInForce",
  u.qty::bigint, u.filled::bigint, u.notional::numeric, u.lp::numeric, u.sp::numeric, u.status::"OrderStatus",
  u.reason, u.waiting::boolean, u.priority::bigint, u.uid, u.origin::jsonb, u.created::timestamptz,
  u.updated::timestamptz
FROM w, unnest(${a.join(', ')})
  AS u(id, cid, pid, sym, side, type, tif, qty, filled, notional, lp, sp, status, reason, waiting, priority,
  uid, origin, created, updated)
ON CONFLICT (id) DO UPDATE SET quantity = EXCLUDED.quantity, filled_quantity = EXCLUDED.filled_quantity,
  filled_notional = EXCLUDED.filled_notional, limit_price = EXCLUDED.limit_price,
  stop_price = EXCLUDED.stop_price, status = EXCLUDED.status, reason = EXCLUDED.reason,
  waiting = EXCLUDED.waiting, priority = EXCLUDED.priority, updated_at = EXCLUDED.updated_at`;
}

/**
 * The guard of a write made outside the batch statement (a new portfolio or instrument): the row is
 * written only while the writer row still names this process, whose claim waits for it (FOR SHARE).
 */
const stillWriter = (param: number) => `EXISTS (SELECT 1 FROM id_sequences WHERE name = 'writer' AND next = $${param}::bigint FOR SHARE)`;

const ORDER_COLUMNS = `o.id, o.client_order_id, o.portfolio_id, o.symbol, o.side::text, o.type::text,
  o.time_in_force::text, o.quantity, o.filled_quantity, o.filled_notional::text, o.limit_price::text,
  o.stop_price::text, o.status::text, o.reason, o.waiting, o.priority, o.user_id, o.origin, o.created_at,
  o.updated_at, p.name AS portfolio_name`;

interface OrderSqlRow {
  id: bigint;
  client_order_id: string | null;
  portfolio_id: number;
  symbol: string;
  side: string;
  type: string;
  time_in_force: string;
  quantity: bigint;
  filled_quantity: bigint;
  filled_notional: string;
  limit_price: string | null;
  stop_price: string | null;
  status: string;
  reason: string | null;
  waiting: boolean;
  priority: bigint | null;
  user_id: string | null;
  origin: unknown;
  created_at: Date;
  updated_at: Date;
  portfolio_name: string;
}

/** The columns every read of a trade takes, as node-postgres returns them (numerics as text). */
export interface TradeSqlColumns {
  id: bigint;
  symbol: string;
  price: string;
  quantity: bigint;
  gmv: string;
  aggressor_side: string;
  created_at: Date;
}

export function tradeFields(r: TradeSqlColumns) {
  return {
    id: r.id,
    symbol: r.symbol,
    price: Number(decimalToUnits(r.price)),
    quantity: Number(r.quantity),
    gmv: decimalToUnits(r.gmv),
    aggressorSide: r.aggressor_side as 'BUY' | 'SELL',
    createdAt: r.created_at,
  };
}

interface BookedTradeSqlRow extends TradeSqlColumns {
  buy_portfolio_id: number;
  sell_portfolio_id: number;
  client_order_id: string;
}

const str = (v: bigint | number | null): string | null => (v === null ? null : String(v));
/**
 * Widths of the VARCHAR columns the batch writes (prisma/schema.prisma). Every string a client could
 * have chosen goes in through `storableText` with its column's width: one value PostgreSQL refuses
 * would fail the whole batch, every client's work in it, and stop the OMS.
 */
const WIDTH = { symbol: 16, clientOrderId: 64, reason: 64, userId: 128, kind: 16, actor: 128, action: 64, target: 128, outcome: 32, name: 100, eventReason: 200 } as const;
const texts = (values: (string | null)[], width?: number): (string | null)[] => values.map((v) => storableTextOrNull(v, width));
const money = (v: bigint | number | null): string | null => (v === null ? null : formatUnits(v));

/** The OMS's persistence over PostgreSQL: set-based SQL for the group commit, Prisma for the rest. */
export class PrismaOmsStore implements OmsStore {
  private readonly writer: WriterRole;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
    /** The desk whose portfolios, orders and audit rows this store reads and writes. */
    private readonly deskId: number = MAIN_DESK_ID,
    /** Shared by the stores of every desk of this process (see WriterRole). */
    writer?: WriterRole,
  ) {
    this.writer = writer ?? new WriterRole(prisma);
  }

  /** Takes the writer role (once per process), then reads this desk's state. */
  async loadState(): Promise<LoadedState> {
    await this.writer.ensureClaimed();
    const [instruments, portfolios, positions, openOrders] = await Promise.all([
      this.prisma.instrument.findMany({ orderBy: { symbol: 'asc' } }),
      this.prisma.portfolio.findMany({ where: { deskId: this.deskId }, orderBy: { id: 'asc' } }),
      this.prisma.position.findMany({ where: { portfolio: { deskId: this.deskId } } }),
      this.prisma.$queryRawUnsafe<OrderSqlRow[]>(
        `SELECT ${ORDER_COLUMNS} FROM orders o JOIN portfolios p ON p.id = o.portfolio_id
         WHERE o.status IN ('NEW', 'PARTIALLY_FILLED') AND p.desk_id = ${Number(this.deskId)} ORDER BY o.symbol, o.priority NULLS LAST, o.id`,
      ),
    ]);
    const byId = new Map<number, PortfolioState>();
    for (const p of portfolios) {
      byId.set(p.id, {
        id: p.id,
        name: p.name,
        cash: decimalToUnits(p.cash),
        startingCash: decimalToUnits(p.startingCash),
        allowShort: p.allowShort,
        isHouse: p.isHouse,
        reservedCash: 0n,
        openOrders: 0,
        positions: new Map(),
        createdAt: p.createdAt,
      });
    }
    for (const pos of positions) {
      byId.get(pos.portfolioId)!.positions.set(pos.symbol, {
        symbol: pos.symbol,
        quantity: Number(pos.quantity),
        costBasis: decimalToUnits(pos.costBasis),
        realizedPnl: decimalToUnits(pos.realizedPnl),
        reservedSell: 0,
      });
    }
    return {
      instruments: instruments.map((i) => ({
        symbol: i.symbol,
        name: i.name,
        tickSize: Number(decimalToUnits(i.tickSize)),
        lotSize: i.lotSize,
        referencePrice: Number(decimalToUnits(i.referencePrice)),
        // The stored last trade price is desk main's (see the commit); another desk's last trade is
        // its own and starts again from the reference price.
        lastPrice: i.lastPrice === null || this.deskId !== MAIN_DESK_ID ? null : Number(decimalToUnits(i.lastPrice)),
      })),
      portfolios: [...byId.values()],
      openOrders: openOrders.map(toOrderRow),
    };
  }

  /**
   * One statement, one round trip, one fsync: every table's rows go in as arrays (unnest) through
   * data-modifying CTEs, which PostgreSQL applies atomically. Trade ids are reserved in the same
   * statement, so the global trade sequence follows commit order.
   */
  async commit(batch: BatchRows): Promise<void> {
    const params: unknown[] = [];
    const arg = (values: unknown[]): string => {
      params.push(values);
      return `$${params.length}::text[]`;
    };
    const scalar = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const parts: string[] = [];
    const t = batch.trades;
    params.push(t.length, this.currentWriter());
    // Locked by the UPDATE until this statement commits; empty once another OMS has taken over, and
    // then every part below joins nothing and writes nothing.
    parts.push(`w AS (UPDATE id_sequences SET next = next WHERE name = 'writer' AND next = $2::bigint RETURNING next AS writer)`);
    parts.push(`seq AS (UPDATE id_sequences SET next = next + $1::bigint FROM w WHERE name = 'trade' RETURNING id_sequences.next - $1::bigint AS first)`);
    parts.push(`trades_in AS (INSERT INTO trades (id, symbol, price, quantity, gmv, aggressor_side, buy_order_id,
      sell_order_id, buy_portfolio_id, sell_portfolio_id, kind, client_order_id, created_at)
      SELECT seq.first + u.ord - 1, u.sym, u.price::numeric, u.qty::bigint, u.gmv::numeric, u.side::"Side", u.bid::bigint,
        u.sid::bigint, u.bpid::int, u.spid::int, u.kind, u.cid, u.at::timestamptz
      FROM seq, unnest(${arg(texts(t.map((r) => r.symbol), WIDTH.symbol))}, ${arg(t.map((r) => formatUnits(r.price)))}, ${arg(t.map((r) => String(r.quantity)))},
        ${arg(t.map((r) => formatUnits(r.gmv)))}, ${arg(t.map((r) => r.aggressorSide))}, ${arg(t.map((r) => str(r.buyOrderId)))},
        ${arg(t.map((r) => str(r.sellOrderId)))}, ${arg(t.map((r) => String(r.buyPortfolioId)))}, ${arg(t.map((r) => String(r.sellPortfolioId)))},
        ${arg(texts(t.map((r) => r.kind), WIDTH.kind))}, ${arg(texts(t.map((r) => r.clientOrderId), WIDTH.clientOrderId))}, ${arg(t.map((r) => r.createdAt.toISOString()))})
        WITH ORDINALITY AS u(sym, price, qty, gmv, side, bid, sid, bpid, spid, kind, cid, at, ord))`);
    const o = batch.orders;
    parts.push(`orders_up AS (${orderUpsert([
      arg(o.map((r) => String(r.id))), arg(texts(o.map((r) => r.clientOrderId), WIDTH.clientOrderId)), arg(o.map((r) => String(r.portfolioId))),
      arg(texts(o.map((r) => r.symbol), WIDTH.symbol)), arg(o.map((r) => r.side)), arg(o.map((r) => r.type)), arg(o.map((r) => r.tif)),
      arg(o.map((r) => String(r.quantity))), arg(o.map((r) => String(r.filled))), arg(o.map((r) => formatUnits(r.filledNotional))),
      arg(o.map((r) => money(r.limitPrice))), arg(o.map((r) => money(r.stopPrice))), arg(o.map((r) => r.status)),
      arg(texts(o.map((r) => r.reason), WIDTH.reason)), arg(o.map((r) => String(r.waiting))), arg(o.map((r) => str(r.priority))),
      arg(texts(o.map((r) => r.userId), WIDTH.userId)), arg(o.map((r) => storableJson(r.origin))),
      arg(o.map((r) => r.createdAt.toISOString())), arg(o.map((r) => r.updatedAt.toISOString())),
    ])})`);
    const p = batch.positions;
    parts.push(`positions_up AS (INSERT INTO positions (portfolio_id, symbol, quantity, cost_basis, realized_pnl, updated_at)
      SELECT u.pid::int, u.sym, u.qty::bigint, u.cost::numeric, u.pnl::numeric, now()
      FROM w, unnest(${arg(p.map((r) => String(r.portfolioId)))}, ${arg(texts(p.map((r) => r.symbol), WIDTH.symbol))}, ${arg(p.map((r) => String(r.quantity)))},
        ${arg(p.map((r) => formatUnits(r.costBasis)))}, ${arg(p.map((r) => formatUnits(r.realizedPnl)))}) AS u(pid, sym, qty, cost, pnl)
      ON CONFLICT (portfolio_id, symbol) DO UPDATE SET quantity = EXCLUDED.quantity,
        cost_basis = EXCLUDED.cost_basis, realized_pnl = EXCLUDED.realized_pnl, updated_at = now())`);
    const c = batch.portfolios;
    parts.push(`cash_up AS (UPDATE portfolios p SET cash = u.cash::numeric, starting_cash = u.start::numeric, updated_at = now()
      FROM w, unnest(${arg(c.map((r) => String(r.id)))}, ${arg(c.map((r) => formatUnits(r.cash)))}, ${arg(c.map((r) => formatUnits(r.startingCash)))})
        AS u(id, cash, start) WHERE p.id = u.id::int)`);
    const e = batch.portfolioEvents;
    // Each event follows the last trade applied before it: one of this batch (their ids are
    // seq.first onwards, in batch order) or, with none before it, the last of an earlier batch.
    // Events keep their batch order in their ids, for two that follow the same trade.
    parts.push(`events_in AS (INSERT INTO portfolio_events (portfolio_id, kind, amount, reason, after_trade_id, key_id, at)
      SELECT u.pid::int, u.kind::"PortfolioEventKind", u.amount::numeric, u.reason, seq.first + u.before::bigint - 1, u.kid::int, u.at::timestamptz
      FROM seq, unnest(${arg(e.map((r) => String(r.portfolioId)))}, ${arg(e.map((r) => r.kind))}, ${arg(e.map((r) => formatUnits(r.amount)))},
        ${arg(texts(e.map((r) => r.reason), WIDTH.eventReason))}, ${arg(e.map((r) => String(r.tradesBefore)))}, ${arg(e.map((r) => str(r.keyId)))},
        ${arg(e.map((r) => r.at.toISOString()))})
        WITH ORDINALITY AS u(pid, kind, amount, reason, before, kid, at, ord)
      ORDER BY u.ord)`);
    const i = batch.instruments;
    // Reference prices are the deployment's (every desk writes the same); the instruments row keeps
    // desk main's last trade price, the one anonymous readers see.
    parts.push(`prices_up AS (UPDATE instruments i SET reference_price = u.ref::numeric,
        last_price = CASE WHEN ${scalar(this.deskId === MAIN_DESK_ID)}::boolean THEN u.last::numeric ELSE i.last_price END, updated_at = now()
      FROM w, unnest(${arg(texts(i.map((r) => r.symbol), WIDTH.symbol))}, ${arg(i.map((r) => formatUnits(r.referencePrice)))}, ${arg(i.map((r) => money(r.lastPrice)))})
        AS u(sym, ref, last) WHERE i.symbol = u.sym)`);
    const a = batch.audits;
    // A request without a valid key concerns no desk; every other row is this desk's.
    parts.push(`audit_in AS (INSERT INTO audit_events (at, desk_id, key_id, actor, action, target, outcome, details)
      SELECT u.at::timestamptz, u.desk::int, u.kid::int, u.actor, u.action, u.target, u.outcome, u.details::jsonb
      FROM w, unnest(${arg(a.map((r) => r.at.toISOString()))}, ${arg(a.map((r) => (r.action === 'auth.failure' ? null : String(this.deskId))))}, ${arg(a.map((r) => str(r.keyId)))}, ${arg(texts(a.map((r) => r.actor), WIDTH.actor))},
        ${arg(texts(a.map((r) => r.action), WIDTH.action))}, ${arg(texts(a.map((r) => r.target), WIDTH.target))},
        ${arg(texts(a.map((r) => r.outcome), WIDTH.outcome))}, ${arg(a.map((r) => storableJson(r.details)))})
        AS u(at, desk, kid, actor, action, target, outcome, details))`);
    // Straight to node-postgres: the batch statement needs none of Prisma's query building. Every
    // part is always there (with empty arrays it touches no row), so the text never changes and each
    // connection parses and plans it once, as a named prepared statement, instead of per batch.
    const { rows } = await this.pool.query<{ first: string | null; writer: number }>({
      name: 'oms-commit-batch',
      text: `WITH ${parts.join(',\n')} SELECT (SELECT first FROM seq) AS first, (SELECT count(*)::int FROM w) AS writer`,
      values: params,
    });
    if (rows[0].writer === 0) throw new WriterReplacedError(this.currentWriter());
    if (rows[0].first === null) throw new Error('id sequence trade missing');
    const first = Number(rows[0].first);
    t.forEach((trade, n) => {
      trade.id = BigInt(first + n);
    });
  }

  async reserveIds(sequence: 'order' | 'trade', count: number): Promise<number> {
    return this.reserve(this.prisma, sequence, count);
  }

  private async reserve(tx: Tx, sequence: string, count: number): Promise<number> {
    const rows = await tx.$queryRawUnsafe<{ first: bigint }[]>(
      `UPDATE id_sequences SET next = next + $2::bigint WHERE name = $1 RETURNING next - $2::bigint AS first`,
      sequence,
      count,
    );
    if (rows.length === 0) throw new Error(`id sequence ${sequence} missing`);
    return Number(rows[0].first);
  }

  /** An order of this desk; another desk's is not found. */
  async findOrder(id: number): Promise<StoredOrder | null> {
    const rows = await this.prisma.$queryRawUnsafe<OrderSqlRow[]>(
      `SELECT ${ORDER_COLUMNS} FROM orders o JOIN portfolios p ON p.id = o.portfolio_id WHERE o.id = $1::bigint AND p.desk_id = $2::int`,
      String(id),
      this.deskId,
    );
    return rows.length ? toOrderRow(rows[0]) : null;
  }

  async findOrderByClientId(portfolioId: number, clientOrderId: string): Promise<StoredOrder | null> {
    const rows = await this.prisma.$queryRawUnsafe<OrderSqlRow[]>(
      `SELECT ${ORDER_COLUMNS} FROM orders o JOIN portfolios p ON p.id = o.portfolio_id
       WHERE o.portfolio_id = $1::int AND o.client_order_id = $2`,
      portfolioId,
      // As the batch stored it, so a retry finds what the first request wrote.
      storableText(clientOrderId, WIDTH.clientOrderId),
    );
    return rows.length ? toOrderRow(rows[0]) : null;
  }

  async findBookedTrade(portfolioId: number, clientOrderId: string): Promise<TradeRecord | null> {
    const rows = await this.prisma.$queryRawUnsafe<BookedTradeSqlRow[]>(
      `SELECT id, symbol, price::text, quantity, gmv::text, aggressor_side::text, buy_portfolio_id, sell_portfolio_id,
         client_order_id, created_at
       FROM trades WHERE client_order_id = $2 AND kind = 'BOOKED' AND (buy_portfolio_id = $1::int OR sell_portfolio_id = $1::int)`,
      portfolioId,
      storableText(clientOrderId, WIDTH.clientOrderId),
    );
    if (rows.length === 0) return null;
    const r = rows[0];
    return {
      ...tradeFields(r),
      buyOrderId: null,
      sellOrderId: null,
      buyPortfolioId: r.buy_portfolio_id,
      sellPortfolioId: r.sell_portfolio_id,
      kind: 'BOOKED',
      clientOrderId: r.client_order_id,
    };
  }

  async insertInstrument(row: InstrumentRow): Promise<void> {
    const rows = await this.prisma.$queryRawUnsafe<{ symbol: string }[]>(
      `INSERT INTO instruments (symbol, name, tick_size, lot_size, reference_price, last_price, updated_at)
       SELECT $1, $2, $3::numeric, $4::int, $5::numeric, $6::numeric, now() WHERE ${stillWriter(7)}
       RETURNING symbol`,
      storableText(row.symbol, WIDTH.symbol),
      storableText(row.name),
      formatUnits(row.tickSize),
      row.lotSize,
      formatUnits(row.referencePrice),
      money(row.lastPrice),
      this.currentWriter(),
    );
    if (rows.length === 0) throw new WriterReplacedError(this.currentWriter());
  }

  async insertPortfolio(p: {
    name: string;
    cash: bigint;
    allowShort: boolean;
    isHouse: boolean;
    createdBy: string | null;
  }): Promise<PortfolioState> {
    const rows = await this.prisma.$queryRawUnsafe<{ id: number; created_at: Date }[]>(
      `INSERT INTO portfolios (desk_id, name, cash, starting_cash, allow_short, is_house, created_by, updated_at)
       SELECT $7, $1, $2::numeric, $2::numeric, $3, $4, $5, now() WHERE ${stillWriter(6)}
       RETURNING id, created_at`,
      storableText(p.name, WIDTH.name),
      formatUnits(p.cash),
      p.allowShort,
      p.isHouse,
      storableTextOrNull(p.createdBy),
      this.currentWriter(),
      this.deskId,
    );
    if (rows.length === 0) throw new WriterReplacedError(this.currentWriter());
    return {
      id: rows[0].id,
      // As stored, so this process and the next start know the portfolio by the same name.
      name: storableText(p.name, WIDTH.name),
      cash: p.cash,
      startingCash: p.cash,
      allowShort: p.allowShort,
      isHouse: p.isHouse,
      reservedCash: 0n,
      openOrders: 0,
      positions: new Map(),
      createdAt: rows[0].created_at,
    };
  }

  private currentWriter(): number {
    return this.writer.current;
  }
}

export function toOrderRow(r: OrderSqlRow): StoredOrder {
  return {
    id: Number(r.id),
    clientOrderId: r.client_order_id,
    portfolioId: r.portfolio_id,
    portfolioName: r.portfolio_name,
    symbol: r.symbol,
    side: r.side as StoredOrder['side'],
    type: r.type as StoredOrder['type'],
    tif: r.time_in_force as StoredOrder['tif'],
    quantity: Number(r.quantity),
    filled: Number(r.filled_quantity),
    filledNotional: decimalToUnits(r.filled_notional),
    limitPrice: r.limit_price === null ? null : Number(decimalToUnits(r.limit_price)),
    stopPrice: r.stop_price === null ? null : Number(decimalToUnits(r.stop_price)),
    status: r.status as StoredOrder['status'],
    reason: r.reason,
    waiting: r.waiting,
    priority: r.priority === null ? null : Number(r.priority),
    userId: r.user_id,
    origin: r.origin,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type { OrderSqlRow };
export { ORDER_COLUMNS };
