import type { Oms } from './oms.js';
import { conflict } from './errors.js';
import type { Actor } from './desk-core.js';
import type { InstrumentRow } from './ports.js';
import type { InstrumentState, TradingSession } from './model.js';

/** A team's trading floor, as the deployment knows it. */
export interface DeskInfo {
  readonly id: number;
  readonly name: string;
  readonly createdAt: Date;
}

/**
 * The desks a deployment hosts, each its own state machine (an Oms: books, portfolios, house,
 * group commit), sharing the instruments and their reference prices. A desk's failure stays in
 * it: a failed commit reloads that desk only.
 */
export class Desks {
  private readonly byId = new Map<number, Oms>();
  private readonly listeners: ((desk: Oms) => Promise<void>)[] = [];
  private readonly removedListeners: ((desk: Oms) => void)[] = [];

  constructor(private readonly mainId: number) {}

  /** Takes a desk in (at start, or once created). Listeners (the house, the feed) learn of it first. */
  async add(desk: Oms): Promise<void> {
    this.byId.set(desk.desk.id, desk);
    for (const fn of this.listeners) await fn(desk);
  }

  /** Runs for every desk added from now on (the ones already here: see all()). */
  onAdded(fn: (desk: Oms) => Promise<void>): void {
    this.listeners.push(fn);
  }

  /**
   * Lets a desk go: another OMS process of a cluster serves it now (or is about to). Requests for it
   * are no longer taken here; listeners (the feed) learn of it at once.
   */
  remove(id: number): Oms | undefined {
    const desk = this.byId.get(id);
    if (!desk) return undefined;
    this.byId.delete(id);
    for (const fn of this.removedListeners) fn(desk);
    return desk;
  }

  /** Runs for every desk removed from now on. */
  onRemoved(fn: (desk: Oms) => void): void {
    this.removedListeners.push(fn);
  }

  get(id: number): Oms | undefined {
    return this.byId.get(id);
  }

  byName(name: string): Oms | undefined {
    for (const d of this.byId.values()) if (d.desk.name === name) return d;
    return undefined;
  }

  /**
   * The desk of anonymous readers (the public feed and dashboard), and of single-team deployments.
   * In a cluster, a process that does not hold desk main answers with another of its desks where
   * only the shared catalogue is read (the instruments), and undefined when it holds none.
   */
  get main(): Oms {
    return this.byId.get(this.mainId) ?? this.all()[0];
  }

  /** True when this process holds the desk of anonymous readers. */
  get hasMain(): boolean {
    return this.byId.has(this.mainId);
  }

  all(): Oms[] {
    return [...this.byId.values()].sort((a, b) => a.desk.id - b.desk.id);
  }

  /** True once another OMS took over the database: every desk is fenced off at once. */
  get replaced(): boolean {
    return this.all().some((d) => d.replaced);
  }

  /** Desks reloading after a failed commit (each back by itself). */
  degraded(): Oms[] {
    return this.all().filter((d) => d.health === 'degraded');
  }

  /**
   * A new instrument for the whole deployment: written once by the desk of whoever added it, then
   * taken into every other desk's books.
   */
  async addInstrument(row: InstrumentRow, actor: Actor, by: Oms): Promise<InstrumentState> {
    for (const d of this.byId.values()) if (d.instrument(row.symbol)) throw conflict('INSTRUMENT_EXISTS', `${row.symbol} already exists`);
    const added = await by.addInstrument(row, actor);
    for (const d of this.all()) if (d !== by) await d.adoptInstrument(row).catch(() => undefined);
    return added;
  }

  /** A reference price is the deployment's: every desk's book takes it (stops may trigger in each). */
  async setReferencePrice(symbol: string, price: number, actor: Actor | null, by: Oms): Promise<InstrumentState> {
    const set = await by.setReferencePrice(symbol, price, actor);
    for (const d of this.all()) if (d !== by && d.healthy) await d.setReferencePrice(symbol, price, null).catch(() => undefined);
    return set;
  }

  /** A session is the deployment's: written once by the asking desk, followed by every other. */
  async setSession(symbol: string, session: TradingSession, actor: Actor, by: Oms): Promise<InstrumentState> {
    const set = await by.setSession(symbol, session, actor, true);
    for (const d of this.all()) if (d !== by && d.healthy) await d.setSession(symbol, session, null, false).catch(() => undefined);
    return set;
  }

  /** The close of one symbol's session in every desk: its DAY orders expire. */
  async expireDayOf(symbol: string): Promise<number> {
    let expired = 0;
    for (const d of this.all()) expired += await d.expireDayOf(symbol).catch(() => 0);
    return expired;
  }

  /** End of the trading day in every desk. */
  async expireDay(): Promise<number> {
    let expired = 0;
    for (const d of this.all()) expired += await d.expireDay().catch(() => 0);
    return expired;
  }

  async drain(): Promise<void> {
    await Promise.all(this.all().map((d) => d.drain()));
  }
}
