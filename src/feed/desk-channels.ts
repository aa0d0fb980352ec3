import { caseHint } from '../oms/name-hint.js';
import type { WebSocket } from 'ws';
import type { Oms } from '../oms/oms.js';
import { canUsePortfolio, hasScope } from '../oms/access.js';
import type { ApiKeyRecord } from '../db/api-key.repository.js';
import type { HistoryQueries } from '../db/history-queries.js';
import type { InstrumentState, OrderRecord, PortfolioState, TradeRecord } from '../oms/model.js';
import { bookJson, orderJson, portfolioSummaryJson, publicTradeJson, tickerEntry } from '../wire/serializers.js';
import type { BarChanges, MinuteBar } from '../oms/bars.js';
import type { BarRepository } from '../db/bars.repository.js';
import { minuteBarJson, storedBarJson, type BarJson } from '../wire/bar-json.js';
import { limitsJson } from '../oms/risk-states.js';

const BOOK_DEPTH = 20;
/**
 * The ticker is conflated: at most one update per interval, with each changed instrument's latest
 * state. A market maker re-quoting dozens of instruments sent hundreds of frames a second otherwise,
 * and a dashboard redrew its watchlist for each. Book and trades channels stay unconflated.
 */
const TICKER_INTERVAL_MS = 250;
const RECENT_TRADES = 50;
/** The one-minute bars of a bars: snapshot. */
const RECENT_BARS = 120;
/** Bars change at every print: their updates are conflated like the ticker's. */
const BARS_INTERVAL_MS = 250;

/** The deployment's bars (instruments are shared): the builder's changes and the stored minutes. */
export interface BarFeed {
  readonly builder: BarChanges;
  readonly repository: Pick<BarRepository, 'read'>;
}

/** A feed connection, as the channels of a desk see it. */
export interface Subscriber {
  readonly socket: WebSocket;
  /** Subscribed channels, each with the seq of the snapshot it got: later updates only. */
  readonly channels: Map<string, number>;
  key: ApiKeyRecord | null;
}

export interface ChannelProblem {
  readonly code: string;
  readonly message: string;
}

type Send = (subscriber: Subscriber, text: string) => void;

/**
 * The channels of one desk: per-channel subscriber sets and seqs, a snapshot on subscribe, then
 * seq-numbered updates from the desk's events, which fire only after the commit that makes them
 * true. Each update is serialized once and sent to every subscriber of its channel. Desks never
 * share a channel: `book:AAPL` of one desk is not `book:AAPL` of another.
 */
export class DeskChannels {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private readonly seqs = new Map<string, number>();
  /**
   * The latest trades of a symbol, newest first: read from the database at its first subscription,
   * then kept by the trade events, so a snapshot and its seq are always of the same instant.
   */
  private readonly recentTrades = new Map<string, { trades: TradeJson[]; loaded: Promise<void> }>();
  /** What each instrument last looked like on the ticker channel, to publish only real changes. */
  private readonly tickerShown: Map<string, string>;
  private readonly tickerPending = new Map<string, TickerJson>();
  private tickerFlush: NodeJS.Timeout | null = null;
  /**
   * The latest one-minute bars of a symbol, oldest first: read from the database at its first
   * subscription, then kept by the builder's changes (as recentTrades are by trade events).
   */
  private readonly recentBars = new Map<string, { bars: BarJson[]; loaded: Promise<void> }>();
  /** Bars changed since the last bars update, by symbol and start. */
  private readonly barsPending = new Map<string, Map<string, BarJson>>();
  private barsFlush: NodeJS.Timeout | null = null;

  constructor(
    readonly desk: Oms,
    private readonly history: HistoryQueries,
    private readonly sendRaw: Send,
    private readonly bars: BarFeed | null = null,
  ) {
    bars?.builder.onChange((bar) => this.onBar(bar));
    this.tickerShown = new Map(desk.listInstruments().map((i) => [i.symbol, JSON.stringify(tickerJson(i, desk))]));
    const events = desk.events;
    events.on('trades', (i, trades) => this.onTrades(i, trades));
    events.on('book', (i: InstrumentState) => {
      if (this.listened(`book:${i.symbol}`)) this.publish(`book:${i.symbol}`, bookJson(i, BOOK_DEPTH));
      else this.nextSeq(`book:${i.symbol}`);
      // The ticker shows the best bid and ask: a book change can be a ticker change.
      this.publishTicker([i]);
    });
    events.on('ticker', (instruments) => this.publishTicker(instruments));
    events.on('orders', (p: PortfolioState, orders: OrderRecord[]) => {
      if (this.listened(`orders:${p.name}`)) this.publish(`orders:${p.name}`, { orders: orders.map((o) => orderJson(o, p.name)) });
      else this.nextSeq(`orders:${p.name}`);
    });
    events.on('risk', (p: PortfolioState | null) => {
      // A desk change is every portfolio's too: its channel shows the state that applies to it.
      const portfolios = p ? [p] : desk.listPortfolios().filter((q) => !q.isHouse);
      if (!p) this.publish('risk', this.deskRiskJson());
      for (const q of portfolios) {
        if (this.listened(`risk:${q.name}`)) this.publish(`risk:${q.name}`, this.portfolioRiskJson(q));
        else this.nextSeq(`risk:${q.name}`);
      }
    });
    events.on('portfolio', (p: PortfolioState) => {
      if (this.listened(`portfolio:${p.name}`)) this.publish(`portfolio:${p.name}`, portfolioSummaryJson(p, (s) => desk.instrument(s)));
      else this.nextSeq(`portfolio:${p.name}`);
    });
  }

  /** Returns an error when the subscriber (with the key in force) may not have the channel, else null. */
  refuse(key: ApiKeyRecord | null, channel: string): ChannelProblem | null {
    const desk = this.desk;
    const [kind, arg] = splitChannel(channel);
    if (kind === 'ticker' && arg === '') return null;
    if ((kind === 'book' || kind === 'trades' || (kind === 'bars' && this.bars)) && arg) {
      return desk.instrument(arg) ? null : { code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${arg}` };
    }
    if (kind === 'risk' && arg === '') {
      if (!key) return { code: 'UNAUTHENTICATED', message: 'the risk channel needs an API key: send {"op":"auth","api_key":...} first' };
      return hasScope(key, 'read') ? null : { code: 'FORBIDDEN', message: 'this API key may not read the desk' };
    }
    if ((kind === 'orders' || kind === 'portfolio' || kind === 'risk') && arg) {
      if (!key) return { code: 'UNAUTHENTICATED', message: `${kind} channels need an API key: send {"op":"auth","api_key":...} first` };
      if (!hasScope(key, 'read') || !canUsePortfolio(key, arg)) {
        return { code: 'FORBIDDEN', message: `this API key may not read portfolio ${arg}${caseHint(arg, key.portfolios)}` };
      }
      return desk.portfolio(arg) ? null : { code: 'UNKNOWN_PORTFOLIO', message: `unknown portfolio ${arg}${caseHint(arg, desk.portfolioNames())}` };
    }
    return { code: 'UNKNOWN_CHANNEL', message: unknownChannel(channel) };
  }

  /** Waits for what a snapshot of the channel needs from the database (a symbol's recent trades). */
  async prepare(channel: string): Promise<void> {
    if (channel.startsWith('trades:')) await this.recentOf(splitChannel(channel)[1]).loaded;
    if (channel.startsWith('bars:')) await this.recentBarsOf(splitChannel(channel)[1]).loaded;
  }

  /**
   * Registers, reads the seq and the state, in the same tick: every update is then either in the
   * snapshot or sent after it with a higher seq. Returns the snapshot frame's fields.
   */
  subscribe(subscriber: Subscriber, channel: string): { seq: number; data: unknown } {
    const seq = this.seqs.get(channel) ?? 0;
    subscriber.channels.set(channel, seq);
    let subs = this.subscribers.get(channel);
    if (!subs) this.subscribers.set(channel, (subs = new Set()));
    subs.add(subscriber);
    return { seq, data: this.snapshot(channel) };
  }

  unsubscribe(subscriber: Subscriber, channel: string): void {
    subscriber.channels.delete(channel);
    this.subscribers.get(channel)?.delete(subscriber);
  }

  /** A closed connection leaves every channel of this desk. */
  remove(subscriber: Subscriber): void {
    for (const ch of subscriber.channels.keys()) this.subscribers.get(ch)?.delete(subscriber);
  }

  close(): void {
    if (this.tickerFlush) clearTimeout(this.tickerFlush);
    if (this.barsFlush) clearTimeout(this.barsFlush);
  }

  private nextSeq(channel: string): number {
    const s = (this.seqs.get(channel) ?? 0) + 1;
    this.seqs.set(channel, s);
    return s;
  }

  /**
   * Whether anyone is subscribed. Every command of every batch raises these events, so a payload
   * nobody would receive is not built; only the channel's seq moves on.
   */
  private listened(channel: string): boolean {
    return (this.subscribers.get(channel)?.size ?? 0) > 0;
  }

  private publish(channel: string, data: unknown): void {
    const subs = this.subscribers.get(channel);
    const seq = this.nextSeq(channel);
    if (!subs || subs.size === 0) return;
    const text = JSON.stringify({ type: 'update', channel, seq, data });
    // Serialized now (the state this batch commits), sent after the commit: to whoever subscribed
    // before this seq; one who subscribed meanwhile has it in its snapshot already.
    this.desk.events.send(() => {
      for (const c of subs) if (seq > (c.channels.get(channel) ?? Infinity)) this.sendRaw(c, text);
    });
  }

  private onTrades(i: InstrumentState, trades: TradeRecord[]): void {
    const recent = this.recentTrades.get(i.symbol);
    if (!recent && !this.listened(`trades:${i.symbol}`)) {
      this.nextSeq(`trades:${i.symbol}`);
      return;
    }
    let json = trades.map(publicTradeJson);
    if (recent) {
      // A trade committed just before the first snapshot's query may have come from the database already.
      const have = new Set(recent.trades.map((t) => t.trade_id));
      json = json.filter((t) => !have.has(t.trade_id));
      if (json.length === 0) return;
      recent.trades = [...[...json].reverse(), ...recent.trades].slice(0, RECENT_TRADES);
    }
    this.publish(`trades:${i.symbol}`, { trades: json });
  }

  private recentOf(symbol: string): { trades: TradeJson[]; loaded: Promise<void> } {
    const known = this.recentTrades.get(symbol);
    if (known) return known;
    const entry = { trades: [] as TradeJson[], loaded: Promise.resolve() };
    entry.loaded = this.history.trades({ deskId: this.desk.desk.id, symbol, limit: RECENT_TRADES }).then(
      (page) => {
        // Trades published while the query ran are already in front; the query may hold them too.
        const have = new Set(entry.trades.map((t) => t.trade_id));
        const stored = page.data.map(publicTradeJson).filter((t) => !have.has(t.trade_id));
        entry.trades = [...entry.trades, ...stored].slice(0, RECENT_TRADES);
      },
      (error: unknown) => {
        this.recentTrades.delete(symbol); // the next subscriber tries again
        throw error;
      },
    );
    this.recentTrades.set(symbol, entry);
    return entry;
  }

  private onBar(bar: MinuteBar): void {
    const recent = this.recentBars.get(bar.symbol);
    // Nobody ever subscribed to this symbol's bars: nothing to keep (a first subscription reads them).
    if (!recent) return;
    const json = minuteBarJson(bar);
    recent.bars = withBar(recent.bars, json);
    if (!this.listened(`bars:${bar.symbol}`)) return;
    let pending = this.barsPending.get(bar.symbol);
    if (!pending) this.barsPending.set(bar.symbol, (pending = new Map()));
    pending.set(json.time, json);
    this.barsFlush ??= setTimeout(() => this.flushBars(), BARS_INTERVAL_MS);
    this.barsFlush.unref();
  }

  private flushBars(): void {
    this.barsFlush = null;
    for (const [symbol, pending] of this.barsPending) {
      const bars = [...pending.values()].sort((a, b) => a.time.localeCompare(b.time));
      this.publish(`bars:${symbol}`, { symbol, bars });
    }
    this.barsPending.clear();
  }

  private recentBarsOf(symbol: string): { bars: BarJson[]; loaded: Promise<void> } {
    const known = this.recentBars.get(symbol);
    if (known) return known;
    // The minute being built may not be written yet: it is in the snapshot from the start.
    const building = this.bars!.builder.latest(symbol);
    const entry = { bars: building ? [minuteBarJson(building)] : [], loaded: Promise.resolve() };
    entry.loaded = this.bars!.repository.read({ symbol, interval: '1m', limit: RECENT_BARS }).then(
      (stored) => {
        // What the builder changed meanwhile is newer than what the query read.
        let bars = entry.bars;
        const have = new Set(bars.map((b) => b.time));
        for (const b of stored) if (!have.has(b.time.toISOString())) bars = withBar(bars, storedBarJson(b));
        entry.bars = bars;
      },
      (error: unknown) => {
        this.recentBars.delete(symbol); // the next subscriber tries again
        throw error;
      },
    );
    this.recentBars.set(symbol, entry);
    return entry;
  }

  private publishTicker(instruments: InstrumentState[]): void {
    // Unheard, the ticker is not compared either, and what was last shown is forgotten: a later
    // subscriber starts from a snapshot, and its first updates may repeat it (harmless) but never
    // skip a change that matches an old, stale entry.
    if (!this.listened('ticker')) {
      this.tickerShown.clear();
      return;
    }
    const changed: TickerJson[] = [];
    for (const i of instruments) {
      const entry = tickerJson(i, this.desk);
      const text = JSON.stringify(entry);
      if (this.tickerShown.get(i.symbol) === text) continue;
      this.tickerShown.set(i.symbol, text);
      changed.push(entry);
    }
    if (changed.length === 0) return;
    // Held until the commit that makes these entries true, then until the next ticker update.
    this.desk.events.send(() => {
      for (const entry of changed) this.tickerPending.set(entry.symbol, entry);
      this.tickerFlush ??= setTimeout(() => this.flushTicker(), TICKER_INTERVAL_MS);
      this.tickerFlush.unref();
    });
  }

  private flushTicker(): void {
    this.tickerFlush = null;
    const instruments = [...this.tickerPending.values()];
    this.tickerPending.clear();
    if (instruments.length > 0) this.publish('ticker', { instruments });
  }

  private deskRiskJson() {
    return { desk: this.desk.desk.name, state: this.desk.deskRisk };
  }

  private portfolioRiskJson(p: PortfolioState) {
    const risk = this.desk.riskOf(p);
    return { portfolio: p.name, state: risk.state, desk_state: this.desk.deskRisk, limits: limitsJson(risk) };
  }

  /** The channel's state now (synchronous: read in the same tick as its seq). */
  private snapshot(channel: string): unknown {
    const desk = this.desk;
    const [kind, arg] = splitChannel(channel);
    switch (kind) {
      case 'book':
        return bookJson(desk.instrument(arg)!, BOOK_DEPTH);
      case 'trades':
        return { symbol: arg, trades: this.recentOf(arg).trades };
      case 'bars':
        return { symbol: arg, interval: '1m', bars: this.recentBarsOf(arg).bars };
      case 'ticker':
        return { instruments: desk.listInstruments().map((i) => tickerJson(i, desk)) };
      case 'orders': {
        const p = desk.portfolio(arg)!;
        const live = [...desk.openOrdersOf(p.id), ...desk.pendingOf(p.id)];
        return { portfolio: p.name, orders: live.map((o) => orderJson(o, p.name)) };
      }
      case 'risk':
        return arg === '' ? this.deskRiskJson() : this.portfolioRiskJson(desk.portfolio(arg)!);
      default:
        return portfolioSummaryJson(desk.portfolio(arg)!, (s) => desk.instrument(s));
    }
  }
}

type TradeJson = ReturnType<typeof publicTradeJson>;

/** The bars, oldest first, with this one in its place (replacing the same minute), the latest RECENT_BARS kept. */
function withBar(bars: BarJson[], bar: BarJson): BarJson[] {
  const next = bars.filter((b) => b.time !== bar.time);
  let i = next.length;
  while (i > 0 && next[i - 1].time > bar.time) i--;
  next.splice(i, 0, bar);
  return next.length > RECENT_BARS ? next.slice(next.length - RECENT_BARS) : next;
}
type TickerJson = ReturnType<typeof tickerEntry>;

const tickerJson = (i: InstrumentState, desk: Pick<Oms, 'marketOf'>): TickerJson => tickerEntry(i, desk.marketOf(i.symbol));

export function unknownChannel(channel: string): string {
  return `unknown channel ${channel}: use book:SYMBOL, trades:SYMBOL, bars:SYMBOL, ticker, orders:PORTFOLIO, portfolio:PORTFOLIO, risk or risk:PORTFOLIO`;
}

export function splitChannel(channel: string): [string, string] {
  const i = channel.indexOf(':');
  return i < 0 ? [channel, ''] : [channel.slice(0, i), channel.slice(i + 1)];
}
