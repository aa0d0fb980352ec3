import type { OrderType, Side, TimeInForce } from '../engine/index.js';
import { rejected, validationError } from './errors.js';
import type { InstrumentState } from './model.js';
import { formatUnits } from './units.js';

/** What a new order asks for (prices and quantities in engine units). */
export interface PlaceOrderInput {
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity: number;
  readonly limitPrice: number | null;
  readonly stopPrice: number | null;
  readonly tif: TimeInForce;
  readonly portfolioName: string;
  readonly clientOrderId: string | null;
  readonly userId: string | null;
  readonly origin: unknown;
}

/** The validate step of a new order: the prices its type needs, and none it would ignore. */
export function checkOrderShape(instrument: InstrumentState, input: PlaceOrderInput): void {
  const needsLimit = input.type === 'LIMIT' || input.type === 'STOP_LIMIT';
  const needsStop = input.type === 'STOP' || input.type === 'STOP_LIMIT';
  if (needsLimit && input.limitPrice === null) {
    throw validationError(`a ${input.type} order needs limit_price`, [{ path: 'limit_price', message: 'required' }]);
  }
  if (needsStop && input.stopPrice === null) {
    throw validationError(`a ${input.type} order needs stop_price`, [{ path: 'stop_price', message: 'required' }]);
  }
  // A price the order type would ignore is refused, not dropped: a LIMIT sent without its type
  // must not trade at market.
  if (!needsLimit && input.limitPrice !== null) {
    throw validationError(`a ${input.type} order takes no limit_price`, [{ path: 'limit_price', message: `not allowed for a ${input.type} order` }]);
  }
  if (!needsStop && input.stopPrice !== null) {
    throw validationError(`a ${input.type} order takes no stop_price`, [{ path: 'stop_price', message: `not allowed for a ${input.type} order` }]);
  }
  checkTickAndLot(instrument, input.quantity, needsLimit ? input.limitPrice! : undefined, needsStop ? input.stopPrice! : undefined);
}

export function checkTickAndLot(
  instrument: InstrumentState,
  quantity: number | undefined,
  limitPrice: number | undefined,
  stopPrice: number | undefined,
): void {
  if (quantity !== undefined && quantity % instrument.lotSize !== 0) {
    throw rejected('QUANTITY_OFF_LOT', `quantity must be a multiple of the lot size ${instrument.lotSize}`, 'quantity');
  }
  for (const [path, price] of [['limit_price', limitPrice], ['stop_price', stopPrice]] as const) {
    if (price !== undefined && price % instrument.tickSize !== 0) {
      throw rejected('PRICE_OFF_TICK', `${path} must be a multiple of the tick size ${formatUnits(instrument.tickSize)} of ${instrument.symbol}`, path);
    }
  }
}

/** Basis points as a percentage for messages: 2000n -> "20%", 250n -> "2.5%". */
const formatBps = (bps: bigint): string => `${bps / 100n}${bps % 100n === 0n ? '' : `.${String(bps % 100n).padStart(2, '0').replace(/0$/, '')}`}%`;

/** A booking does not go through the book, so nothing else stops it from printing any price. */
export function checkBookedPrice(instrument: InstrumentState, price: number, bandBps: number): void {
  const band = BigInt(bandBps);
  if (band === 0n) return;
  const reference = BigInt(instrument.referencePrice);
  const off = BigInt(price) - reference;
  if ((off < 0n ? -off : off) * 10_000n > reference * band) {
    throw rejected(
      'PRICE_OUTSIDE_BAND',
      `gmv / quantity = ${formatUnits(price)} is more than ${formatBps(band)} from the reference price ${formatUnits(reference)} of ${instrument.symbol}`,
      'gmv',
    );
  }
}
