import { TICKET } from '../blocks/trade-ticket.js';
import type { OrderType, Side, TimeInForce } from '../oms-types.js';
import { fieldTextProblem, MAX_PORTFOLIO_NAME } from './command-text.js';
import { type OrderIntent, parsePrice, parseQuantity, parseSymbol } from './trade-grammar.js';

/** The part of a view_submission's `view.state.values` the reader looks at. */
export type TicketValues = Readonly<
  Record<string, Readonly<Record<string, { value?: string | null; selected_option?: { value: string } | null }>>>
>;

/** Field errors keyed by block_id, exactly what `ack({response_action: 'errors', errors})` wants. */
export type TicketRead = { readonly ok: true; readonly order: OrderIntent } | { readonly ok: false; readonly errors: Record<string, string> };

const text = (values: TicketValues, ids: { block: string; action: string }): string =>
  values[ids.block]?.[ids.action]?.value?.trim() ?? '';
const choice = (values: TicketValues, ids: { block: string; action: string }): string | undefined =>
  values[ids.block]?.[ids.action]?.selected_option?.value;

/** The ticket's typed-in fields: checked as text before anything else reads them. */
const TEXT_FIELDS = [TICKET.symbol, TICKET.quantity, TICKET.limitPrice, TICKET.stopPrice, TICKET.portfolio];

/**
 * Validates a submitted trade ticket with the same rules as the `/trade` grammar. Pure. A field whose
 * text no OMS input may hold gets that said under it, in place of what the grammar would say (which
 * may quote the text back).
 */
export function readTradeTicket(values: TicketValues): TicketRead {
  const problems: Record<string, string> = {};
  for (const ids of TEXT_FIELDS) {
    const problem = fieldTextProblem(text(values, ids), MAX_PORTFOLIO_NAME);
    if (problem !== null) problems[ids.block] = problem;
  }
  const read = readFields(values);
  if (Object.keys(problems).length === 0) return read;
  return { ok: false, errors: { ...(read.ok ? {} : read.errors), ...problems } };
}

function readFields(values: TicketValues): TicketRead {
  const errors: Record<string, string> = {};

  const side = choice(values, TICKET.side) as Side | undefined;
  if (side !== 'BUY' && side !== 'SELL') errors[TICKET.side.block] = 'Choose buy or sell.';

  const symbolText = text(values, TICKET.symbol);
  const symbol = symbolText === '' ? undefined : parseSymbol(symbolText);
  if (!symbol) errors[TICKET.symbol.block] = 'Enter a symbol, like AAPL.';
  else if (!symbol.ok) errors[TICKET.symbol.block] = symbol.error;

  const quantityText = text(values, TICKET.quantity);
  const quantity = quantityText === '' ? undefined : parseQuantity(quantityText);
  if (!quantity) errors[TICKET.quantity.block] = 'Enter a quantity, like 100.';
  else if (!quantity.ok) errors[TICKET.quantity.block] = quantity.error;

  const type = (choice(values, TICKET.type) ?? 'MARKET') as OrderType;
  const needsLimit = type === 'LIMIT' || type === 'STOP_LIMIT';
  const needsStop = type === 'STOP' || type === 'STOP_LIMIT';

  const limitText = text(values, TICKET.limitPrice);
  let limitPrice: string | undefined;
  if (limitText !== '') {
    const p = parsePrice(limitText, 'limit price');
    if (!p.ok) errors[TICKET.limitPrice.block] = p.error;
    else if (!needsLimit) errors[TICKET.limitPrice.block] = 'Only limit and stop-limit orders take a limit price: clear it or change the order type.';
    else limitPrice = p.value;
  } else if (needsLimit) errors[TICKET.limitPrice.block] = 'A limit or stop-limit order needs a limit price.';

  const stopText = text(values, TICKET.stopPrice);
  let stopPrice: string | undefined;
  if (stopText !== '') {
    const p = parsePrice(stopText, 'stop price');
    if (!p.ok) errors[TICKET.stopPrice.block] = p.error;
    else if (!needsStop) errors[TICKET.stopPrice.block] = 'Only stop and stop-limit orders take a stop price: clear it or change the order type.';
    else stopPrice = p.value;
  } else if (needsStop) errors[TICKET.stopPrice.block] = 'A stop or stop-limit order needs a stop price.';

  const timeInForce = (choice(values, TICKET.timeInForce) ?? 'DAY') as TimeInForce;
  const portfolio = text(values, TICKET.portfolio);

  if (Object.keys(errors).length > 0 || !symbol?.ok || !quantity?.ok) return { ok: false, errors };
  return {
    ok: true,
    order: {
      kind: 'order',
      side: side as Side,
      quantity: quantity.value,
      symbol: symbol.value,
      type,
      ...(limitPrice !== undefined ? { limitPrice } : {}),
      ...(stopPrice !== undefined ? { stopPrice } : {}),
      timeInForce,
      ...(portfolio !== '' ? { portfolio } : {}),
    },
  };
}
