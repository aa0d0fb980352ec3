import { beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Oms } from '../../src/oms/oms.js';
import { Desks } from '../../src/oms/desks.js';
import type { BatchRows } from '../../src/oms/ports.js';
import { MarketMaker } from '../../src/market/market-maker.js';
import { PaperMarket } from '../../src/market/paper-market.js';
import { LiveMarket } from '../../src/market/live-market.js';
import type { MarketDataSink, MarketDataSource } from '../../src/market/market-data.js';
import { MemoryStore } from '../oms/support/memory-store.js';
import { ADMIN, U } from '../oms/support/commands.js';

/**
 * How soon the house follows a new price, at the level of the commits: the price and the re-quote
 * around it go in one commit, a re-quote asked while one is in flight runs once more right after
 * it, and a market data price arriving while the symbol's previous one is in flight is applied in
 * the very next commit. Commits can be held, so that "in flight" is a state the test controls.
 */
class HeldStore extends MemoryStore {
  /** The reference price of ACME each commit wrote (null: the commit did not move it). */
  readonly prices: (number | null)[] = [];
  private gate: Promise<void> | null = null;
  private open: () => void = () => undefined;
  private waiting = 0;
  private arrived: (() => void)[] = [];

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = null;
    this.open();
  }

  /** Resolves once a commit waits at the gate. */
  held(): Promise<void> {
    if (this.waiting > 0) return Promise.resolve();
    return new Promise((resolve) => this.arrived.push(resolve));
  }

  private loadGate: Promise<void> | null = null;
  private openLoads: () => void = () => undefined;

  /** Reloads wait (a desk reloading after a failed commit stays degraded) until releaseLoads(). */
  holdLoads(): void {
    this.loadGate = new Promise((resolve) => (this.openLoads = resolve));
  }

  releaseLoads(): void {
    this.loadGate = null;
    this.openLoads();
  }

  override async loadState(): ReturnType<MemoryStore['loadState']> {
    if (this.loadGate) await this.loadGate;
    return super.loadState();
  }

  /** One statement at a time, as the database store writes them: the next closes once this one is done. */
  private statement: Promise<void> = Promise.resolve();

  override commit(close: () => BatchRows): Promise<void> {
    const run = this.statement.then(async () => {
      // As the database store: a statement starts on the next turn of the event loop, and the batch
      // closes as it starts; what happens while it is held goes to the next one.
      await new Promise((resolve) => setImmediate(resolve));
      const batch = close();
      if (this.gate) {
        this.waiting++;
        for (const fn of this.arrived.splice(0)) fn();
        await this.gate;
        this.waiting--;
      }
      await super.commit(() => batch);
      this.prices.push(batch.instruments.find((i) => i.symbol === 'ACME')?.referencePrice ?? null);
    });
    this.statement = run.catch(() => undefined);
    return run;
  }
}

const logger = pino({ level: 'silent' });
const CONFIG = { levels: 2, spreadBps: 10, stepBps: 5, size: 100 };
let store: HeldStore;
let desk: Oms;

beforeEach(async () => {
  store = new HeldStore([{ symbol: 'ACME', name: 'Acme', tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null }]);
  desk = await Oms.open(store);
});

/** The house's committed quotes: best bid and best ask, as the store holds them. */
function committedQuotes(): { bid: number; ask: number } {
  const house = desk.portfolio('HOUSE')!.id;
  const open = [...store.orders.values()].filter((o) => o.portfolioId === house && o.status === 'NEW');
  return {
    bid: Math.max(...open.filter((o) => o.side === 'BUY').map((o) => o.limitPrice!)),
    ask: Math.min(...open.filter((o) => o.side === 'SELL').map((o) => o.limitPrice!)),
  };
}

describe('the house market maker', () => {
  it('asked again while a re-quote is in flight, re-quotes once more right after it, around the new price', async () => {
    const maker = new MarketMaker(desk, CONFIG, logger);
    await maker.quote(desk.instrument('ACME')!);
    store.hold();
    const moved = desk.setReferencePrice('ACME', 101 * U, null);
    const first = maker.quote(desk.instrument('ACME')!);
    await store.held();
    // The re-quote around 101.00 is in flight; the price moves on, and the house is asked twice.
    const movedAgain = desk.setReferencePrice('ACME', 102 * U, null);
    const second = maker.quote(desk.instrument('ACME')!);
    const third = maker.quote(desk.instrument('ACME')!);
    const commitsBefore = store.commits;
    store.release();
    await Promise.all([moved, first, movedAgain, second, third]);
    // Heard only once the re-quote that read 102.00 is committed: the house stands around it.
    const { bid, ask } = committedQuotes();
    expect(bid).toBeLessThan(102 * U);
    expect(bid).toBeGreaterThan(101 * U);
    expect(ask).toBeGreaterThan(102 * U);
    // One commit for the re-quote in flight, one for the price and the one re-quote after it.
    expect(store.commits - commitsBefore).toBe(2);
    await maker.settled();
  });

  it('follows a jump wider than its spread, up or down, without crossing its own quotes', async () => {
    const maker = new MarketMaker(desk, CONFIG, logger);
    await maker.quote(desk.instrument('ACME')!);
    const house = desk.portfolio('HOUSE')!.id;
    for (const price of [105 * U, 95 * U]) {
      await desk.setReferencePrice('ACME', price, null);
      await maker.quote(desk.instrument('ACME')!);
      const { bid, ask } = committedQuotes();
      expect(bid).toBeLessThan(price);
      expect(bid).toBeGreaterThan(price - U);
      expect(ask).toBeGreaterThan(price);
    }
    // Self-trade prevention never had to cancel one: the same four orders, moved.
    const orders = [...store.orders.values()].filter((o) => o.portfolioId === house);
    expect(orders.map((o) => o.status)).toEqual(['NEW', 'NEW', 'NEW', 'NEW']);
  });
  it("leaves a symbol to the next price when one was asked for within the tick's interval, and refreshes it otherwise", async () => {
    const maker = new MarketMaker(desk, CONFIG, logger);
    await maker.quote(desk.instrument('ACME')!);
    const house = desk.portfolio('HOUSE')!;
    const open = () => desk.openOrdersOf(house.id).length;
    // One of its quotes goes (as a fill would take it): a refresh puts it back.
    await desk.cancelOrder(desk.openOrdersOf(house.id)[0].id, ADMIN);
    expect(open()).toBe(3);
    await maker.refresh(desk.instrument('ACME')!, 60_000);
    expect(open()).toBe(3);
    await maker.refresh(desk.instrument('ACME')!, 0);
    expect(open()).toBe(4);
  });
});

describe('the paper market', () => {
  it('commits a new price and the house re-quote around it together, in one commit', async () => {
    const desks = new Desks(desk.desk.id);
    await desks.add(desk);
    const market = new PaperMarket(desks, null, CONFIG, 60_000, logger);
    await market.start();
    const commitsBefore = store.commits;
    await market.moveAndQuote('ACME', 103 * U);
    expect(store.commits - commitsBefore).toBe(1);
    expect(store.instruments.get('ACME')!.referencePrice).toBe(103 * U);
    const { bid, ask } = committedQuotes();
    expect(bid).toBeLessThan(103 * U);
    expect(ask).toBeGreaterThan(103 * U);
    await market.stop();
  });
});

/** A source the test drives by hand: whatever it is told to print reaches the sink at once. */
class HandSource implements MarketDataSource {
  readonly name = 'replay';
  sink: MarketDataSink | null = null;
  async start(_symbols: readonly string[], sink: MarketDataSink): Promise<void> {
    this.sink = sink;
    sink.state('ok');
  }
  async stop(): Promise<void> {}
  print(price: number): void {
    this.sink!.trade({ symbol: 'ACME', price, size: '1', time: new Date() });
  }
}

/** Waits (up to 5 s) until `done()`; the assertions after it say what was expected. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

/** The desk fed by a hand-driven source through the paper market's house, as the service wires it. */
async function startFeed(beforeNextStatement?: (fn: () => void) => void, staleMs = 60_000): Promise<{ source: HandSource; stop: () => Promise<void> }> {
  const desks = new Desks(desk.desk.id);
  await desks.add(desk);
  const market = new PaperMarket(desks, null, CONFIG, 60_000, logger);
  await market.start();
  const source = new HandSource();
  const live = new LiveMarket(source, desks, ['ACME'], logger, { staleMs, moveAndQuote: (symbol, price) => market.moveAndQuote(symbol, price), beforeNextStatement });
  await live.start();
  return {
    source,
    stop: async () => {
      await live.stop();
      await market.stop();
    },
  };
}

/** Once 104.00 is committed: the commits since `commitsBefore` wrote 101.00 then 104.00 (102.00 never), the house quoting around it. */
async function expectCommitted101Then104(commitsBefore: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (store.instruments.get('ACME')!.referencePrice !== 104 * U && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  expect(store.prices.slice(commitsBefore)).toEqual([101 * U, 104 * U]);
  const { bid, ask } = committedQuotes();
  expect(bid).toBeLessThan(104 * U);
  expect(ask).toBeGreaterThan(104 * U);
}

describe('a market data feed', () => {
  it('applies the latest of the prints that arrive while a price is in flight in the next commit, conflating the prints between', async () => {
    const { source, stop } = await startFeed();
    const commitsBefore = store.commits;
    store.hold();
    source.print(101 * U);
    await store.held();
    // 101.00 and its re-quote are in flight; two prints arrive meanwhile.
    source.print(102 * U);
    source.print(104 * U);
    store.release();
    // The latest print rode the commit right after the one in flight, with its re-quote.
    await expectCommitted101Then104(commitsBefore);
    await stop();
  });

  it('puts the latest print and its re-quote into the desk just before the next statement, without waiting for the previous price to commit', async () => {
    // The group commit's hook, run by hand: "the next statement starts now".
    const beforeNext: (() => void)[] = [];
    const nextStatement = () => beforeNext.splice(0).forEach((fn) => fn());
    const { source, stop } = await startFeed((fn) => beforeNext.push(fn));
    const commitsBefore = store.commits;
    const house = desk.portfolio('HOUSE')!.id;
    const quotedAround = (price: number) => {
      const open = desk.openOrdersOf(house);
      return Math.max(...open.filter((o) => o.side === 'BUY').map((o) => o.limitPrice!)) < price && Math.min(...open.filter((o) => o.side === 'SELL').map((o) => o.limitPrice!)) > price;
    };
    store.hold();
    source.print(101 * U);
    // Taken, not yet applied: it waits for the next statement.
    expect(desk.instrument('ACME')!.referencePrice).toBe(100 * U);
    nextStatement();
    expect(desk.instrument('ACME')!.referencePrice).toBe(101 * U);
    await store.held();
    // 101.00 and its re-quote are in flight (held); two prints arrive meanwhile.
    source.print(102 * U);
    source.print(104 * U);
    expect(desk.instrument('ACME')!.referencePrice).toBe(101 * U);
    nextStatement();
    // In the desk at once, price and quotes, while 101.00 is still being committed.
    expect(desk.instrument('ACME')!.referencePrice).toBe(104 * U);
    expect(quotedAround(104 * U)).toBe(true);
    store.release();
    await expectCommitted101Then104(commitsBefore);
    await stop();
  });

  it('applies a print heard while the desk reloads after a failed commit once the desk is back, without waiting for another print', async () => {
    const { source, stop } = await startFeed(undefined, 400);
    store.failNextCommit();
    store.holdLoads();
    source.print(101 * U);
    // 101.00's commit is refused: the desk reloads what was committed (held here, so it stays degraded).
    await until(() => desk.health === 'degraded');
    expect(desk.health).toBe('degraded');
    source.print(102 * U);
    // The print's pass has run (it is scheduled on the next turn of the event loop) while the desk reloads.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    store.releaseLoads();
    await until(() => desk.healthy);
    expect(desk.instrument('ACME')!.referencePrice).toBe(100 * U);
    // Back on the committed 100.00: the print heard meanwhile is the market's price, and goes in by itself.
    await until(() => store.instruments.get('ACME')!.referencePrice === 102 * U);
    expect(desk.instrument('ACME')!.referencePrice).toBe(102 * U);
    expect(store.instruments.get('ACME')!.referencePrice).toBe(102 * U);
    const { bid, ask } = committedQuotes();
    expect(bid).toBeLessThan(102 * U);
    expect(ask).toBeGreaterThan(102 * U);
    await stop();
  });

  it('brings a desk back from its reload to the price the other desks took meanwhile, though desk main has it already', async () => {
    const blueStore = new HeldStore([{ symbol: 'ACME', name: 'Acme', tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null }]);
    const blue = await Oms.open(blueStore, undefined, {}, { id: 2, name: 'blue', createdAt: new Date() });
    const desks = new Desks(desk.desk.id);
    await desks.add(desk);
    await desks.add(blue);
    const market = new PaperMarket(desks, null, CONFIG, 60_000, logger);
    await market.start();
    const source = new HandSource();
    const live = new LiveMarket(source, desks, ['ACME'], logger, { staleMs: 400, moveAndQuote: (symbol, price) => market.moveAndQuote(symbol, price) });
    await live.start();
    blueStore.failNextCommit();
    blueStore.holdLoads();
    source.print(101 * U);
    await until(() => blue.health === 'degraded');
    expect(blue.health).toBe('degraded');
    source.print(102 * U);
    // Desk main takes 102.00; blue, reloading, passes it by.
    await until(() => store.instruments.get('ACME')!.referencePrice === 102 * U);
    expect(desk.instrument('ACME')!.referencePrice).toBe(102 * U);
    blueStore.releaseLoads();
    await until(() => blue.healthy);
    expect(blue.instrument('ACME')!.referencePrice).toBe(100 * U);
    await until(() => blue.instrument('ACME')!.referencePrice === 102 * U);
    expect(blue.instrument('ACME')!.referencePrice).toBe(102 * U);
    await until(() => blueStore.instruments.get('ACME')!.referencePrice === 102 * U);
    expect(blueStore.instruments.get('ACME')!.referencePrice).toBe(102 * U);
    await live.stop();
    await market.stop();
  });
});
