import type { Logger } from 'pino';
import type { Desks } from '../oms/desks.js';
import type { MarketStatus, TradingSession } from '../oms/model.js';
import type { MarketClock } from './market-clock.js';
import { usEquitiesLastClose, usEquitiesOpenAt } from './us-equities-calendar.js';
import { RecurringJob } from '../timing/recurring-job.js';

/** True while a session is open at `at`. */
export function sessionOpenAt(session: TradingSession, at: Date): boolean {
  return session === '24/7' || usEquitiesOpenAt(at);
}

/** The latest close at or before `at`; null for a session that never closes. */
export function sessionLastClose(session: TradingSession, at: Date): Date | null {
  return session === '24/7' ? null : usEquitiesLastClose(at);
}

export interface SessionScheduleOptions {
  /** How often (wall time) the market clock is read. Default one second. */
  readonly checkMs?: number;
  /** The status a symbol takes at the open: `live`, or what its market data says (`stale` when quiet). */
  readonly statusAtOpen?: (symbol: string) => MarketStatus;
  /** Runs once per check in which sessions closed, after their DAY orders expired (the equity snapshot). */
  readonly afterClose?: (symbols: readonly string[]) => void;
}

/** Per symbol with a session: when it was last checked (market time), and whether it was open then. */
interface Checked {
  readonly at: Date;
  readonly open: boolean;
}

/**
 * Opens and closes each instrument's session on every desk, by the market clock: outside it the
 * symbol is `closed` (the house pulls its quotes, MARKET/IOC/FOK orders are refused), at its close
 * its DAY orders expire. Checking the state at each tick (rather than waiting for exact instants)
 * keeps it right when the clock jumps, as a fast replay's does: a close passed between two checks
 * still expires the DAY orders, once. A 24/7 instrument is left to DAY_END_UTC.
 */
export class SessionSchedule {
  private readonly checked = new Map<string, Checked>();
  private readonly job: RecurringJob<void>;

  constructor(
    private readonly desks: Desks,
    private readonly clock: MarketClock,
    private readonly logger: Logger,
    private readonly options: SessionScheduleOptions = {},
  ) {
    this.job = new RecurringJob(() => this.checkAll(), options.checkMs ?? 1000);
  }

  /** Applies the current state at once, then checks every `checkMs`. */
  async start(): Promise<void> {
    await this.check();
    this.job.start();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  /** One check of every instrument against the clock (never two at once). */
  check(): Promise<void> {
    return this.job.run();
  }

  private async checkAll(): Promise<void> {
    const now = this.clock.now();
    const closed: string[] = [];
    for (const instrument of this.desks.main?.listInstruments() ?? []) {
      await this.checkOne(instrument.symbol, instrument.session, now, closed).catch((error: unknown) =>
        this.logger.error({ err: error, symbol: instrument.symbol }, 'applying the trading session failed'),
      );
    }
    if (closed.length > 0) this.options.afterClose?.(closed);
  }

  private async checkOne(symbol: string, session: TradingSession, now: Date, closed: string[]): Promise<void> {
    const before = this.checked.get(symbol);
    const open = sessionOpenAt(session, now);
    if (session === '24/7') {
      // Made 24/7 while closed by its former session: it opens now.
      if (before && !before.open) this.setStatus(symbol, true);
      this.checked.delete(symbol);
      return;
    }
    this.checked.set(symbol, { at: now, open });
    // Closed first, so nothing takes from the book while its DAY orders go.
    this.setStatus(symbol, open);
    const lastClose = sessionLastClose(session, now);
    if (before && lastClose && lastClose > before.at) {
      const expired = await this.desks.expireDayOf(symbol);
      this.logger.info({ symbol, close: lastClose.toISOString(), expired }, 'session close: DAY orders expired');
      closed.push(symbol);
    }
    if (before?.open !== open) this.logger.info({ symbol, session, at: now.toISOString() }, open ? 'session open' : 'session closed');
  }

  /** Every desk's status of the symbol, keeping its source; `stale` and `live` are the feed's own while open. */
  private setStatus(symbol: string, open: boolean): void {
    for (const desk of this.desks.all()) {
      const market = desk.marketOf(symbol);
      if (!open && market.status !== 'closed') desk.setMarket(symbol, { source: market.source, status: 'closed' });
      if (open && market.status === 'closed') desk.setMarket(symbol, { source: market.source, status: this.options.statusAtOpen?.(symbol) ?? 'live' });
    }
  }
}
