import { conflict, rejected, validationError } from './errors.js';
import type { InstrumentState, PortfolioState, TradingSession } from './model.js';
import { ChangeSet } from './oms-events.js';
import { applyEngineEvents } from './apply-events.js';
import { closePending } from './approvals.js';
import { formatUnits } from './units.js';
import type { InstrumentRow } from './ports.js';
import type { Actor, DeskCore } from './desk-core.js';

/** A new reference price (market data, admin): stops may trigger. */
export async function setReferencePrice(desk: DeskCore, symbol: string, price: number, actor: Actor | null): Promise<InstrumentState> {
  desk.assertHealthy();
  const state = desk.state;
  const instrument = state.requireInstrument(symbol);
  if (!Number.isSafeInteger(price) || price <= 0) {
    throw validationError('price must be positive', [{ path: 'price', message: 'must be a positive decimal' }]);
  }
  if (price % instrument.tickSize !== 0) {
    throw rejected('PRICE_OFF_TICK', `price must be a multiple of the tick size`, 'price');
  }
  const changes = new ChangeSet();
  instrument.referencePrice = price;
  state.batch.instrument(instrument);
  changes.tickers.add(instrument);
  instrument.book.submit({ type: 'REFERENCE_PRICE', price });
  applyEngineEvents(state, instrument, changes);
  // Positions are marked at the reference price, so every holder's summary moves.
  for (const p of state.portfolios.values()) if (p.positions.get(instrument.symbol)?.quantity) changes.portfolios.add(p);
  if (actor) desk.audit(actor, 'instrument.price', instrument.symbol, 'ok', { price: formatUnits(price) });
  await desk.commit(changes);
  return instrument;
}

/**
 * End of the trading day (DAY_END_UTC): DAY orders expire in the books of instruments that trade
 * around the clock. An instrument with a session of its own expires at its close (expireDayOf).
 */
export async function expireDay(desk: DeskCore): Promise<number> {
  desk.assertHealthy();
  const changes = new ChangeSet();
  let expired = 0;
  for (const instrument of desk.state.instruments.values()) {
    if (instrument.session !== '24/7') continue;
    expired += expireBook(desk, instrument, changes);
  }
  await desk.commit(changes);
  return expired;
}

/** The close of one symbol's session: its DAY orders expire; every other book is untouched. */
export async function expireDayOf(desk: DeskCore, symbol: string): Promise<number> {
  desk.assertHealthy();
  const instrument = desk.state.requireInstrument(symbol);
  const changes = new ChangeSet();
  const expired = expireBook(desk, instrument, changes);
  await desk.commit(changes);
  return expired;
}

function expireBook(desk: DeskCore, instrument: InstrumentState, changes: ChangeSet): number {
  instrument.book.submit({ type: 'EXPIRE_DAY' });
  let expired = instrument.book.output.length;
  applyEngineEvents(desk.state, instrument, changes);
  // A DAY order still awaiting approval is of the same day: it expires with the book's.
  for (const order of [...desk.state.orders.values()]) {
    if (order.status !== 'PENDING_APPROVAL' || order.tif !== 'DAY' || order.symbol !== instrument.symbol) continue;
    closePending(desk.state, order, 'EXPIRED', 'END_OF_DAY', changes);
    expired++;
  }
  return expired;
}

/**
 * An instrument's trading session, written once for the deployment (`write`: the desk that was
 * asked writes the row, the others only take it into memory). The schedule applies it at its
 * next check.
 */
export async function setSession(desk: DeskCore, symbol: string, session: TradingSession, actor: Actor | null, write: boolean): Promise<InstrumentState> {
  desk.assertHealthy();
  const instrument = desk.state.requireInstrument(symbol);
  if (write) await desk.written(desk.store.updateInstrumentSession(instrument.symbol, session));
  // A reload meanwhile read the new session from the database already.
  const current = desk.state.requireInstrument(instrument.symbol);
  const before = current.session;
  current.session = session;
  if (actor) {
    desk.audit(actor, 'instrument.session', current.symbol, 'ok', { session, was: before });
    await desk.commit(new ChangeSet());
  }
  return current;
}

export async function createPortfolio(
  desk: DeskCore,
  input: { name: string; startingCash: bigint; allowShort: boolean },
  actor: Actor,
): Promise<PortfolioState> {
  desk.assertHealthy();
  const state = desk.state;
  if (state.portfoliosByName.has(input.name)) {
    throw conflict('PORTFOLIO_EXISTS', `a portfolio named ${input.name} already exists`);
  }
  const p = await desk.written(
    desk.store.insertPortfolio({ name: input.name, cash: input.startingCash, allowShort: input.allowShort, isHouse: false, createdBy: actor.name }),
  );
  // A reload meanwhile read it from the database already.
  if (state !== desk.state) return desk.state.portfoliosByName.get(p.name) ?? p;
  state.indexPortfolio(p);
  desk.audit(actor, 'portfolio.create', p.name, 'ok', null);
  return p;
}

export async function addInstrument(desk: DeskCore, row: InstrumentRow, actor: Actor): Promise<InstrumentState> {
  desk.assertHealthy();
  const state = desk.state;
  if (state.instruments.has(row.symbol)) throw conflict('INSTRUMENT_EXISTS', `${row.symbol} already exists`);
  await desk.written(desk.store.insertInstrument(row));
  const loaded = state !== desk.state ? desk.state.instruments.get(row.symbol) : undefined;
  if (loaded) return loaded;
  desk.assertSameState(state);
  const changes = new ChangeSet();
  const instrument = state.addInstrument(row);
  changes.tickers.add(instrument);
  desk.audit(actor, 'instrument.create', row.symbol, 'ok', null);
  await desk.commit(changes);
  await desk.instrumentAdded(instrument);
  return instrument;
}

/**
 * An instrument another desk has just added for the deployment: into this desk's books (already
 * written), published, and quoted by this desk's house.
 */
export async function adoptInstrument(desk: DeskCore, row: InstrumentRow): Promise<InstrumentState> {
  desk.assertHealthy();
  const known = desk.state.instruments.get(row.symbol);
  if (known) return known;
  const changes = new ChangeSet();
  const instrument = desk.state.addInstrument(row);
  changes.tickers.add(instrument);
  await desk.commit(changes);
  await desk.instrumentAdded(instrument);
  return instrument;
}
