import { rejected } from './errors.js';
import type { InstrumentState } from './model.js';
import type { DeskCore } from './desk-core.js';
import type { PlaceOrderInput } from './order-checks.js';

/**
 * What would trade now or never needs a market now. A symbol whose data went quiet has no price to
 * trust (a market order waits); one outside its session has no market to take from at once (a
 * market, IOC or FOK order waits). What can wait, a LIMIT or STOP order, DAY or GTC, rests.
 */
export function checkMarketOpen(desk: Pick<DeskCore, 'marketOf'>, instrument: InstrumentState, input: Pick<PlaceOrderInput, 'type' | 'tif'>): void {
  const market = desk.marketOf(instrument.symbol);
  if (market.status === 'stale' && input.type === 'MARKET') {
    throw rejected('MARKET_DATA_STALE', `${instrument.symbol}'s market data (${market.source}) has gone quiet: market orders wait until it returns; a limit order can rest meanwhile`, 'type');
  }
  if (market.status !== 'closed') return;
  if (input.type === 'MARKET') {
    throw rejected('MARKET_CLOSED', `${instrument.symbol}'s session is closed: market orders wait for the open; a limit order can rest meanwhile`, 'type');
  }
  if (input.tif === 'IOC' || input.tif === 'FOK') {
    throw rejected('MARKET_CLOSED', `${instrument.symbol}'s session is closed: ${input.tif} orders wait for the open; a DAY or GTC order can rest meanwhile`, 'time_in_force');
  }
}
