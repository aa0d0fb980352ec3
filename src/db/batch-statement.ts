import { formatUnits } from '../oms/units.js';
import type { BatchRows } from '../oms/ports.js';
import { MAIN_DESK_ID } from './desks.js';
import { storableJson, storableTextOrNull } from './storable.js';
import type { BatchFence } from './writer-role.js';

/**
 * Widths of the VARCHAR columns the batch writes (prisma/schema.prisma). Every string a client could
 * have chosen goes in through `storableText` with its column's width: one value PostgreSQL refuses
 * would fail the whole batch, every client's work in it, and stop the OMS.
 */
export const WIDTH = { symbol: 16, clientOrderId: 64, reason: 64, userId: 128, kind: 16, actor: 128, action: 64, target: 128, outcome: 32, name: 100, eventReason: 200 } as const;
const texts = (values: (string | null)[], width?: number): (string | null)[] => values.map((v) => storableTextOrNull(v, width));
export const money = (v: bigint | number | null): string | null => (v === null ? null : formatUnits(v));
const str = (v: bigint | number | null): string | null => (v === null ? null : String(v));

/** One desk's batch, as its group commit closed it. */
export interface DeskBatch {
  readonly deskId: number;
  readonly rows: BatchRows;
  /** The desk's lease epoch, in a cluster. */
  readonly epoch?: number;
  /**
   * Below the ids of the batch's trades (numbered when it closed, see TradeNumbering) and at or above
   * those of every trade the desk numbered before: the place of an event that follows none of the
   * batch's trades. Needed only when the batch carries portfolio events.
   */
  readonly tradeIdBefore?: bigint;
}

export interface BatchStatement {
  /** Its prepared statement's name: one text per kind of fence. */
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
}

/** Orders: inserted when new, otherwise their changing columns updated. */
function orderUpsert(a: string[]): string {
  return `INSERT INTO orders (id, client_order_id, portfolio_id, symbol, side, type, time_in_force, quantity,
  filled_quantity, filled_notional, limit_price, stop_price, status, reason, waiting, priority, user_id,
  origin, created_at, updated_at, placed_by)
SELECT u.id::bigint, u.cid, u.pid::int, u.sym, u.side::"Side", u.type::"OrderType", u.tif::"TimeInForce",
  u.qty::bigint, u.filled::bigint, u.notional::numeric, u.lp::numeric, u.sp::numeric, u.status::"OrderStatus",
  u.reason, u.waiting::boolean, u.priority::bigint, u.uid, u.origin::jsonb, u.created::timestamptz,
  u.updated::timestamptz, u.placed
FROM w, unnest(${a.join(', ')})
  AS u(id, cid, pid, sym, side, type, tif, qty, filled, notional, lp, sp, status, reason, waiting, priority,
  uid, origin, created, updated, placed)
ON CONFLICT (id) DO UPDATE SET quantity = EXCLUDED.quantity, filled_quantity = EXCLUDED.filled_quantity,
  filled_notional = EXCLUDED.filled_notional, limit_price = EXCLUDED.limit_price,
  stop_price = EXCLUDED.stop_price, status = EXCLUDED.status, reason = EXCLUDED.reason,
  waiting = EXCLUDED.waiting, priority = EXCLUDED.priority, updated_at = EXCLUDED.updated_at`;
}

/**
 * Orders an earlier commit wrote: only the columns an order's life changes, and only where one of
 * them did. An UPDATE of these columns leaves every index of the table alone unless the status
 * changed, so PostgreSQL can keep the new version on the same page (a HOT update), and it skips
 * the speculative insertion and the twenty-column row an upsert would build for each.
 */
function orderUpdate(a: string[]): string {
  return `UPDATE orders o SET quantity = u.qty::bigint, filled_quantity = u.filled::bigint,
  filled_notional = u.notional::numeric, limit_price = u.lp::numeric, stop_price = u.sp::numeric,
  status = u.status::"OrderStatus", reason = u.reason, waiting = u.waiting::boolean, priority = u.priority::bigint,
  updated_at = u.updated::timestamptz
FROM w, unnest(${a.join(', ')}) AS u(id, qty, filled, notional, lp, sp, status, reason, waiting, priority, updated)
WHERE o.id = u.id::bigint AND (o.quantity, o.filled_quantity, o.filled_notional, o.limit_price, o.stop_price, o.status,
  o.reason, o.waiting, o.priority, o.updated_at) IS DISTINCT FROM (u.qty::bigint, u.filled::bigint, u.notional::numeric,
  u.lp::numeric, u.sp::numeric, u.status::"OrderStatus", u.reason, u.waiting::boolean, u.priority::bigint, u.updated::timestamptz)`;
}

/**
 * One statement, one round trip, one fsync for the batches of every desk that closed meanwhile:
 * every table's rows go in as arrays (unnest) through data-modifying CTEs, which PostgreSQL applies
 * atomically. Trades come numbered from their desk's block of ids (TradeNumbering), so the statement
 * touches no row shared by every desk and the desks of several processes commit side by side; within
 * a desk the ids still follow commit order. A part without rows is left out (PostgreSQL runs every
 * data-modifying part, read or not, and a batch of one order has four empty ones), so the text
 * depends only on which parts a batch has: a few kinds, each parsed and planned once per connection
 * as a named prepared statement.
 */
export function batchStatement(batches: readonly DeskBatch[], writer: BatchFence): BatchStatement {
  const params: unknown[] = [];
  const arg = (values: unknown[]): string => {
    params.push(values);
    return `$${params.length}::text[]`;
  };
  const all = <T>(pick: (rows: BatchRows) => readonly T[]): T[] => batches.flatMap((b) => pick(b.rows));
  const parts: string[] = [];
  // The parts after the fence, a letter each: the prepared statement's name (a name is cut at 63
  // bytes), so each connection prepares each kind of batch once.
  let kinds = '';
  const part = (letter: string, sql: string): void => {
    parts.push(sql);
    kinds += letter;
  };
  const t = all((r) => r.trades);
  if (typeof writer === 'number') {
    params.push(writer);
    // Locked by the UPDATE until this statement commits; empty once another OMS has taken over, and
    // then every part below joins nothing and writes nothing.
    parts.push(`w AS (UPDATE id_sequences SET next = next WHERE name = 'writer' AND next = $1::bigint RETURNING next AS writer)`);
  } else {
    params.push(writer.desks.map(String), writer.epochs.map(String), writer.desks.length);
    // In a cluster, each desk's lease row at the epoch its batch was made under, locked until this
    // statement commits (a takeover waits for it); one row only when every desk's matches, otherwise
    // nothing below is written. A lease past its time fences too, even before anyone takes it.
    parts.push(`w AS (SELECT 1 AS writer FROM (SELECT l.desk_id FROM desk_leases l
        JOIN unnest($1::text[], $2::text[]) AS f(desk, epoch) ON l.desk_id = f.desk::int AND l.epoch = f.epoch::bigint
        WHERE l.expires_at > now() FOR KEY SHARE OF l) held HAVING count(*) = $3::int)`);
  }
  // Orders before trades: pg_stat_activity shows a statement's first kilobyte only, and a commit
  // waiting on the orders table should be recognisable there by orders_up.
  const stored = (b: DeskBatch, id: number): boolean => b.rows.storedOrders?.has(id) ?? false;
  const o = batches.flatMap((b) => b.rows.orders.filter((r) => !stored(b, r.id)));
  if (o.length > 0) part('o', `orders_up AS (${orderUpsert([
    arg(o.map((r) => String(r.id))), arg(texts(o.map((r) => r.clientOrderId), WIDTH.clientOrderId)), arg(o.map((r) => String(r.portfolioId))),
    arg(texts(o.map((r) => r.symbol), WIDTH.symbol)), arg(o.map((r) => r.side)), arg(o.map((r) => r.type)), arg(o.map((r) => r.tif)),
    arg(o.map((r) => String(r.quantity))), arg(o.map((r) => String(r.filled))), arg(o.map((r) => formatUnits(r.filledNotional))),
    arg(o.map((r) => money(r.limitPrice))), arg(o.map((r) => money(r.stopPrice))), arg(o.map((r) => r.status)),
    arg(texts(o.map((r) => r.reason), WIDTH.reason)), arg(o.map((r) => String(r.waiting))), arg(o.map((r) => str(r.priority))),
    arg(texts(o.map((r) => r.userId), WIDTH.userId)), arg(o.map((r) => storableJson(r.origin))),
    arg(o.map((r) => r.createdAt.toISOString())), arg(o.map((r) => r.updatedAt.toISOString())),
    arg(texts(o.map((r) => r.placedBy ?? null), WIDTH.actor)),
  ])})`);
  const k = batches.flatMap((b) => b.rows.orders.filter((r) => stored(b, r.id)));
  if (k.length > 0) part('s', `orders_set AS (${orderUpdate([
    arg(k.map((r) => String(r.id))), arg(k.map((r) => String(r.quantity))), arg(k.map((r) => String(r.filled))),
    arg(k.map((r) => formatUnits(r.filledNotional))), arg(k.map((r) => money(r.limitPrice))), arg(k.map((r) => money(r.stopPrice))),
    arg(k.map((r) => r.status)), arg(texts(k.map((r) => r.reason), WIDTH.reason)), arg(k.map((r) => String(r.waiting))),
    arg(k.map((r) => str(r.priority))), arg(k.map((r) => r.updatedAt.toISOString())),
  ])})`);
  if (t.length > 0) part('t', `trades_in AS (INSERT INTO trades (id, symbol, price, quantity, gmv, aggressor_side, buy_order_id,
      sell_order_id, buy_portfolio_id, sell_portfolio_id, kind, client_order_id, created_at, buy_fee, sell_fee)
      SELECT u.id::bigint, u.sym, u.price::numeric, u.qty::bigint, u.gmv::numeric, u.side::"Side", u.bid::bigint,
        u.sid::bigint, u.bpid::int, u.spid::int, u.kind, u.cid, u.at::timestamptz, u.bfee::numeric, u.sfee::numeric
      FROM w, unnest(${arg(t.map((r) => String(r.id)))}, ${arg(texts(t.map((r) => r.symbol), WIDTH.symbol))}, ${arg(t.map((r) => formatUnits(r.price)))}, ${arg(t.map((r) => String(r.quantity)))},
        ${arg(t.map((r) => formatUnits(r.gmv)))}, ${arg(t.map((r) => r.aggressorSide))}, ${arg(t.map((r) => str(r.buyOrderId)))},
        ${arg(t.map((r) => str(r.sellOrderId)))}, ${arg(t.map((r) => String(r.buyPortfolioId)))}, ${arg(t.map((r) => String(r.sellPortfolioId)))},
        ${arg(texts(t.map((r) => r.kind), WIDTH.kind))}, ${arg(texts(t.map((r) => r.clientOrderId), WIDTH.clientOrderId))}, ${arg(t.map((r) => r.createdAt.toISOString()))},
        ${arg(t.map((r) => formatUnits(r.buyFee)))}, ${arg(t.map((r) => formatUnits(r.sellFee)))})
        AS u(id, sym, price, qty, gmv, side, bid, sid, bpid, spid, kind, cid, at, bfee, sfee))`);
  const p = all((r) => r.positions);
  if (p.length > 0) part('p', `positions_up AS (INSERT INTO positions (portfolio_id, symbol, quantity, cost_basis, realized_pnl, updated_at)
      SELECT u.pid::int, u.sym, u.qty::bigint, u.cost::numeric, u.pnl::numeric, now()
      FROM w, unnest(${arg(p.map((r) => String(r.portfolioId)))}, ${arg(texts(p.map((r) => r.symbol), WIDTH.symbol))}, ${arg(p.map((r) => String(r.quantity)))},
        ${arg(p.map((r) => formatUnits(r.costBasis)))}, ${arg(p.map((r) => formatUnits(r.realizedPnl)))}) AS u(pid, sym, qty, cost, pnl)
      ON CONFLICT (portfolio_id, symbol) DO UPDATE SET quantity = EXCLUDED.quantity,
        cost_basis = EXCLUDED.cost_basis, realized_pnl = EXCLUDED.realized_pnl, updated_at = now())`);
  const c = all((r) => r.portfolios);
  if (c.length > 0) part('c', `cash_up AS (UPDATE portfolios p SET cash = u.cash::numeric, starting_cash = u.start::numeric, fees_paid = u.fees::numeric, updated_at = now()
      FROM w, unnest(${arg(c.map((r) => String(r.id)))}, ${arg(c.map((r) => formatUnits(r.cash)))}, ${arg(c.map((r) => formatUnits(r.startingCash)))},
        ${arg(c.map((r) => formatUnits(r.feesPaid)))})
        AS u(id, cash, start, fees) WHERE p.id = u.id::int)`);
  // Each event follows the last trade its desk applied before it: one of its batch or, with none
  // before it, one of an earlier statement (at most tradeIdBefore). A portfolio trades on its desk
  // only, whose ids follow commit order, so that is its place among the portfolio's trades. Events
  // keep their order in their ids, for two that follow the same trade.
  const afterTrade = (b: DeskBatch, before: number): string => {
    if (before > 0) return String(b.rows.trades[before - 1].id);
    if (b.tradeIdBefore === undefined) throw new Error(`desk ${b.deskId}: a batch with portfolio events needs tradeIdBefore`);
    return String(b.tradeIdBefore);
  };
  const e = batches.flatMap((b) => b.rows.portfolioEvents.map((ev) => ({ ...ev, after: afterTrade(b, ev.tradesBefore) })));
  if (e.length > 0) part('e', `events_in AS (INSERT INTO portfolio_events (portfolio_id, kind, amount, reason, after_trade_id, key_id, at)
      SELECT u.pid::int, u.kind::"PortfolioEventKind", u.amount::numeric, u.reason, u.after::bigint, u.kid::int, u.at::timestamptz
      FROM w, unnest(${arg(e.map((r) => String(r.portfolioId)))}, ${arg(e.map((r) => r.kind))}, ${arg(e.map((r) => formatUnits(r.amount)))},
        ${arg(texts(e.map((r) => r.reason), WIDTH.eventReason))}, ${arg(e.map((r) => r.after))}, ${arg(e.map((r) => str(r.keyId)))},
        ${arg(e.map((r) => r.at.toISOString()))})
        WITH ORDINALITY AS u(pid, kind, amount, reason, after, kid, at, ord)
      ORDER BY u.ord)`);
  // Reference prices are the deployment's (every desk writes the same); the instruments row keeps
  // desk main's last trade price, the one anonymous readers see. One row per symbol: an UPDATE
  // takes only one of several rows that match. A row whose values are already there is left alone:
  // every desk's trades mark their instruments, and otherwise the statements of every process
  // would queue on these few rows' locks as they once did on a shared trade sequence.
  const prices = new Map<string, { ref: number; last: number | null; main: boolean }>();
  for (const b of batches) {
    const main = b.deskId === MAIN_DESK_ID;
    for (const i of b.rows.instruments) {
      const known = prices.get(i.symbol);
      if (!known || main) prices.set(i.symbol, { ref: i.referencePrice, last: main ? i.lastPrice : (known?.last ?? null), main: main || (known?.main ?? false) });
    }
  }
  const i = [...prices.entries()];
  if (i.length > 0) part('i', `prices_up AS (UPDATE instruments i SET reference_price = u.ref::numeric,
        last_price = CASE WHEN u.main::boolean THEN u.last::numeric ELSE i.last_price END, updated_at = now()
      FROM w, unnest(${arg(texts(i.map(([s]) => s), WIDTH.symbol))}, ${arg(i.map(([, r]) => formatUnits(r.ref)))}, ${arg(i.map(([, r]) => money(r.last)))},
        ${arg(i.map(([, r]) => String(r.main)))}) AS u(sym, ref, last, main) WHERE i.symbol = u.sym
        AND (i.reference_price, i.last_price) IS DISTINCT FROM (u.ref::numeric, CASE WHEN u.main::boolean THEN u.last::numeric ELSE i.last_price END))`);
  // A request without a valid key concerns no desk; every other row is its desk's.
  const a = batches.flatMap((b) => b.rows.audits.map((r) => ({ ...r, desk: r.action === 'auth.failure' ? null : String(b.deskId) })));
  if (a.length > 0) part('a', `audit_in AS (INSERT INTO audit_events (at, desk_id, key_id, actor, action, target, outcome, details)
      SELECT u.at::timestamptz, u.desk::int, u.kid::int, u.actor, u.action, u.target, u.outcome, u.details::jsonb
      FROM w, unnest(${arg(a.map((r) => r.at.toISOString()))}, ${arg(a.map((r) => r.desk))}, ${arg(a.map((r) => str(r.keyId)))}, ${arg(texts(a.map((r) => r.actor), WIDTH.actor))},
        ${arg(texts(a.map((r) => r.action), WIDTH.action))}, ${arg(texts(a.map((r) => r.target), WIDTH.target))},
        ${arg(texts(a.map((r) => r.outcome), WIDTH.outcome))}, ${arg(a.map((r) => storableJson(r.details)))})
        AS u(at, desk, kid, actor, action, target, outcome, details))`);
  return {
    name: `${typeof writer === 'number' ? 'oms-commit-batch' : 'oms-commit-batch-leased'}:${kinds}`,
    text: `WITH ${parts.join(',\n')} SELECT (SELECT count(*)::int FROM w) AS writer`,
    values: params,
  };
}
