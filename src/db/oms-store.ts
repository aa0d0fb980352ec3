import type pg from 'pg';
import { MAIN_DESK_ID } from './desks.js';
import { WriterRole, type WriteFence } from './writer-role.js';
import { SharedCommit } from './shared-commit.js';
import { WIDTH, money } from './batch-statement.js';
import type { PrismaClient } from './prisma-client.js';
import { decimalToUnits, formatUnits } from '../oms/units.js';
import { portfolioState, TRADING_SESSIONS, type PortfolioState, type TradeRecord, type TradingSession } from '../oms/model.js';
import { storableText, storableTextOrNull } from './storable.js';
import type { FeeSchedule } from '../oms/fees.js';
import { RISK_STATES, type PortfolioRisk, type RiskState, type StoredRisk } from '../oms/risk-model.js';
import { type BatchRows, type InstrumentRow, type LoadedState, type OmsStore, type OrderRow, type StoredOrder } from '../oms/ports.js';

type Tx = Pick<PrismaClient, '$queryRawUnsafe'>;


/** A stored session the OMS does not know (written by a newer version) trades around the clock. */
const tradingSession = (text: string): TradingSession => TRADING_SESSIONS.find((s) => s === text) ?? '24/7';

/** A stored state the OMS does not know (written by a newer version) is taken as the strictest. */
const riskState = (text: string | undefined): RiskState => (text === undefined ? 'ACTIVE' : (RISK_STATES.find((s) => s === text) ?? 'HALTED'));

interface PortfolioRiskSqlRow {
  portfolio_id: number;
  state: string;
  max_order_notional: string | null;
  max_position: bigint | null;
  max_gross_exposure: string | null;
  approval_threshold: string | null;
}

const ORDER_COLUMNS = `o.id, o.client_order_id, o.portfolio_id, o.symbol, o.side::text, o.type::text,
  o.time_in_force::text, o.quantity, o.filled_quantity, o.filled_notional::text, o.limit_price::text,
  o.stop_price::text, o.status::text, o.reason, o.waiting, o.priority, o.user_id, o.origin, o.created_at,
  o.updated_at, p.name AS portfolio_name, o.placed_by`;

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
  placed_by: string | null;
}

/** The columns every read of a trade takes, as node-postgres returns them (numerics as text). */
export interface TradeSqlColumns {
  id: bigint;
  symbol: string;
  price: string;
  quantity: bigint;
  gmv: string;
  aggressor_side: string;
  buy_fee: string;
  sell_fee: string;
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
    buyFee: decimalToUnits(r.buy_fee),
    sellFee: decimalToUnits(r.sell_fee),
    createdAt: r.created_at,
  };
}

interface BookedTradeSqlRow extends TradeSqlColumns {
  buy_portfolio_id: number;
  sell_portfolio_id: number;
  client_order_id: string;
}


/** The OMS's persistence over PostgreSQL: set-based SQL for the group commit, Prisma for the rest. */
export class PrismaOmsStore implements OmsStore {
  /**
   * The guard of a write made outside the batch statement (a new portfolio or instrument): the row
   * is written only while this process still holds the desk (see WriteFence).
   */
  private readonly writer: WriteFence;
  private readonly shared: SharedCommit;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
    /** The desk whose portfolios, orders and audit rows this store reads and writes. */
    private readonly deskId: number = MAIN_DESK_ID,
    /** Shared by the stores of every desk of this process (see WriterRole), or the desk's lease in a cluster. */
    writer?: WriteFence,
    /** Shared by the stores of every desk of this process, so their batches share a statement. */
    shared?: SharedCommit,
  ) {
    const role = writer ?? new WriterRole(prisma);
    this.writer = role;
    this.shared = shared ?? new SharedCommit(pool, role as WriterRole);
  }

  /** Takes the writer role (once per process), then reads this desk's state. */
  async loadState(): Promise<LoadedState> {
    await this.writer.ensureClaimed();
    // What loads may have been written by another process, or past a refused batch of this one.
    this.shared.restartTradeIds(this.deskId);
    const [instruments, portfolios, positions, openOrders] = await Promise.all([
      this.prisma.instrument.findMany({ orderBy: { symbol: 'asc' } }),
      this.prisma.portfolio.findMany({ where: { deskId: this.deskId }, orderBy: { id: 'asc' } }),
      this.prisma.position.findMany({ where: { portfolio: { deskId: this.deskId } } }),
      this.prisma.$queryRawUnsafe<OrderSqlRow[]>(
        `SELECT ${ORDER_COLUMNS} FROM orders o JOIN portfolios p ON p.id = o.portfolio_id
         WHERE o.status IN ('NEW', 'PARTIALLY_FILLED', 'PENDING_APPROVAL') AND p.desk_id = ${Number(this.deskId)} ORDER BY o.symbol, o.priority NULLS LAST, o.id`,
      ),
    ]);
    const byId = new Map<number, PortfolioState>();
    for (const p of portfolios) {
      byId.set(
        p.id,
        portfolioState({ id: p.id, name: p.name, cash: decimalToUnits(p.cash), startingCash: decimalToUnits(p.startingCash), allowShort: p.allowShort, isHouse: p.isHouse, feesPaid: decimalToUnits(p.feesPaid), createdAt: p.createdAt }),
      );
    }
    for (const pos of positions) {
      byId.get(pos.portfolioId)!.positions.set(pos.symbol, {
        symbol: pos.symbol,
        quantity: Number(pos.quantity),
        costBasis: decimalToUnits(pos.costBasis),
        realizedPnl: decimalToUnits(pos.realizedPnl),
        reservedSell: 0,
        openBuy: 0,
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
        session: tradingSession(i.session),
      })),
      portfolios: [...byId.values()],
      openOrders: openOrders.map(toOrderRow),
    };
  }

  /** Written with the batches every other desk closed meanwhile, in one statement (see SharedCommit). */
  commit(close: () => BatchRows): Promise<void> {
    return this.shared.submit(this.deskId, close, this.writer.epoch);
  }

  async reserveIds(sequence: 'order', count: number): Promise<number> {
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
         client_order_id, buy_fee::text, sell_fee::text, created_at
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

  async loadFees(): Promise<FeeSchedule | null> {
    const row = await this.prisma.deskFee.findUnique({ where: { deskId: this.deskId } });
    if (!row) return null;
    return { perShare: decimalToUnits(row.perShare), bpsE4: decimalToUnits(row.bps), minPerOrder: decimalToUnits(row.minPerOrder) };
  }

  async saveFees(fees: FeeSchedule): Promise<void> {
    // bpsE4 is bps to four decimals, the column's scale: written as units are.
    const rows = await this.prisma.$queryRawUnsafe<{ desk_id: number }[]>(
      `INSERT INTO desk_fees (desk_id, per_share, bps, min_per_order, updated_at)
       SELECT $1::int, $2::numeric, $3::numeric, $4::numeric, now() WHERE ${this.writer.guard(5)}
       ON CONFLICT (desk_id) DO UPDATE SET per_share = EXCLUDED.per_share, bps = EXCLUDED.bps,
         min_per_order = EXCLUDED.min_per_order, updated_at = now()
       RETURNING desk_id`,
      this.deskId,
      formatUnits(fees.perShare),
      formatUnits(fees.bpsE4),
      formatUnits(fees.minPerOrder),
      this.currentWriter(),
    );
    if (rows.length === 0) throw this.writer.refused();
  }

  async loadRisk(): Promise<StoredRisk> {
    const [desk, rows] = await Promise.all([
      this.prisma.$queryRawUnsafe<{ state: string }[]>(`SELECT state FROM desk_risk WHERE desk_id = $1::int`, this.deskId),
      this.prisma.$queryRawUnsafe<PortfolioRiskSqlRow[]>(
        `SELECT r.portfolio_id, r.state, r.max_order_notional::text, r.max_position, r.max_gross_exposure::text, r.approval_threshold::text
         FROM portfolio_risk r JOIN portfolios p ON p.id = r.portfolio_id WHERE p.desk_id = $1::int`,
        this.deskId,
      ),
    ]);
    const units = (v: string | null) => (v === null ? null : decimalToUnits(v));
    return {
      desk: riskState(desk[0]?.state),
      portfolios: new Map(
        rows.map((r) => [
          r.portfolio_id,
          {
            state: riskState(r.state),
            maxOrderNotional: units(r.max_order_notional),
            maxPosition: r.max_position === null ? null : Number(r.max_position),
            maxGrossExposure: units(r.max_gross_exposure),
            approvalThreshold: units(r.approval_threshold),
          },
        ]),
      ),
    };
  }

  async saveDeskRisk(state: RiskState): Promise<void> {
    const rows = await this.prisma.$queryRawUnsafe<{ desk_id: number }[]>(
      `INSERT INTO desk_risk (desk_id, state, updated_at) SELECT $1::int, $2, now() WHERE ${this.writer.guard(3)}
       ON CONFLICT (desk_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now() RETURNING desk_id`,
      this.deskId,
      state,
      this.currentWriter(),
    );
    if (rows.length === 0) throw this.writer.refused();
  }

  async savePortfolioRisk(portfolioId: number, risk: PortfolioRisk): Promise<void> {
    const rows = await this.prisma.$queryRawUnsafe<{ portfolio_id: number }[]>(
      `INSERT INTO portfolio_risk (portfolio_id, state, max_order_notional, max_position, max_gross_exposure, approval_threshold, updated_at)
       SELECT $1::int, $2, $3::numeric, $4::bigint, $5::numeric, $6::numeric, now() WHERE ${this.writer.guard(7)}
       ON CONFLICT (portfolio_id) DO UPDATE SET state = EXCLUDED.state, max_order_notional = EXCLUDED.max_order_notional,
         max_position = EXCLUDED.max_position, max_gross_exposure = EXCLUDED.max_gross_exposure,
         approval_threshold = EXCLUDED.approval_threshold, updated_at = now()
       RETURNING portfolio_id`,
      portfolioId,
      risk.state,
      money(risk.maxOrderNotional),
      risk.maxPosition === null ? null : String(risk.maxPosition),
      money(risk.maxGrossExposure),
      money(risk.approvalThreshold),
      this.currentWriter(),
    );
    if (rows.length === 0) throw this.writer.refused();
  }

  async insertInstrument(row: InstrumentRow): Promise<void> {
    const rows = await this.prisma.$queryRawUnsafe<{ symbol: string }[]>(
      `INSERT INTO instruments (symbol, name, tick_size, lot_size, reference_price, last_price, session, updated_at)
       SELECT $1, $2, $3::numeric, $4::int, $5::numeric, $6::numeric, $8, now() WHERE ${this.writer.guard(7)}
       RETURNING symbol`,
      storableText(row.symbol, WIDTH.symbol),
      storableText(row.name),
      formatUnits(row.tickSize),
      row.lotSize,
      formatUnits(row.referencePrice),
      money(row.lastPrice),
      this.currentWriter(),
      row.session ?? '24/7',
    );
    if (rows.length === 0) throw this.writer.refused();
  }

  async updateInstrumentSession(symbol: string, session: TradingSession): Promise<void> {
    const rows = await this.prisma.$queryRawUnsafe<{ symbol: string }[]>(
      `UPDATE instruments SET session = $1, updated_at = now() WHERE symbol = $2 AND ${this.writer.guard(3)} RETURNING symbol`,
      session,
      symbol,
      this.currentWriter(),
    );
    if (rows.length === 0) throw this.writer.refused();
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
       SELECT $7, $1, $2::numeric, $2::numeric, $3, $4, $5, now() WHERE ${this.writer.guard(6)}
       RETURNING id, created_at`,
      storableText(p.name, WIDTH.name),
      formatUnits(p.cash),
      p.allowShort,
      p.isHouse,
      storableTextOrNull(p.createdBy),
      this.currentWriter(),
      this.deskId,
    );
    if (rows.length === 0) throw this.writer.refused();
    return portfolioState({
      id: rows[0].id,
      // As stored, so this process and the next start know the portfolio by the same name.
      name: storableText(p.name, WIDTH.name),
      cash: p.cash,
      startingCash: p.cash,
      allowShort: p.allowShort,
      isHouse: p.isHouse,
      createdAt: rows[0].created_at,
    });
  }

  private currentWriter(): number {
    return this.writer.token;
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
    placedBy: r.placed_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type { OrderSqlRow };
export { ORDER_COLUMNS };
