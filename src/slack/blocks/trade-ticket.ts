import type { types } from '@slack/bolt';
import { plain } from './message.js';

/**
 * The trade-ticket modal. Its block and action ids are the contract with the submission handler
 * (listeners/views) and the form reader (commands/trade-ticket-form.ts): both import them from here.
 */
export const TRADE_TICKET_CALLBACK = 'trade_ticket';

export const TICKET = {
  side: { block: 'ticket_side', action: 'side' },
  symbol: { block: 'ticket_symbol', action: 'symbol' },
  quantity: { block: 'ticket_quantity', action: 'quantity' },
  type: { block: 'ticket_type', action: 'type' },
  limitPrice: { block: 'ticket_limit_price', action: 'limit_price' },
  stopPrice: { block: 'ticket_stop_price', action: 'stop_price' },
  timeInForce: { block: 'ticket_tif', action: 'time_in_force' },
  portfolio: { block: 'ticket_portfolio', action: 'portfolio' },
} as const;

/** Where the modal was opened from; carried in private_metadata to the submission. */
export interface TicketContext {
  readonly team: string;
  readonly channel: string;
}

export interface TicketDefaults {
  readonly portfolio?: string;
  readonly symbol?: string;
}

const option = (value: string, text: string): types.PlainTextOption => ({ value, text: plain(text) });

const SIDES = [option('BUY', 'Buy'), option('SELL', 'Sell')];
const TYPES = [option('MARKET', 'Market'), option('LIMIT', 'Limit'), option('STOP', 'Stop'), option('STOP_LIMIT', 'Stop limit')];
const TIFS = [option('DAY', 'Day'), option('GTC', 'Good till canceled'), option('IOC', 'Immediate or cancel'), option('FOK', 'Fill or kill')];

export function buildTradeTicket(context: TicketContext, defaults: TicketDefaults = {}): types.ModalView {
  const input = (
    ids: { block: string; action: string },
    label: string,
    element: types.InputBlock['element'],
    extra: Partial<types.InputBlock> = {},
  ): types.InputBlock => ({ type: 'input', block_id: ids.block, label: plain(label), element: { ...element, action_id: ids.action }, ...extra });

  return {
    type: 'modal',
    callback_id: TRADE_TICKET_CALLBACK,
    private_metadata: JSON.stringify(context),
    title: plain('Trade ticket'),
    submit: plain('Place order'),
    close: plain('Cancel'),
    blocks: [
      input(TICKET.side, 'Side', { type: 'radio_buttons', options: SIDES, initial_option: SIDES[0] }),
      input(TICKET.symbol, 'Symbol', {
        type: 'plain_text_input',
       
        placeholder: plain('AAPL'),
        max_length: 16,
        ...(defaults.symbol ? { initial_value: defaults.symbol } : {}),
      }),
      input(TICKET.quantity, 'Quantity', { type: 'number_input', is_decimal_allowed: false, min_value: '1', placeholder: plain('100') }),
      input(TICKET.type, 'Order type', { type: 'static_select', options: TYPES, initial_option: TYPES[0] }),
      input(TICKET.limitPrice, 'Limit price', { type: 'plain_text_input', placeholder: plain('412.50') }, {
        optional: true,
        hint: plain('For limit and stop-limit orders.'),
      }),
      input(TICKET.stopPrice, 'Stop price', { type: 'plain_text_input', placeholder: plain('250') }, {
        optional: true,
        hint: plain('For stop and stop-limit orders.'),
      }),
      input(TICKET.timeInForce, 'Time in force', { type: 'static_select', options: TIFS, initial_option: TIFS[0] }),
      input(
        TICKET.portfolio,
        'Portfolio',
        {
          type: 'plain_text_input',
         
          placeholder: plain("This channel's default"),
          ...(defaults.portfolio ? { initial_value: defaults.portfolio } : {}),
        },
        { optional: true },
      ),
    ],
  };
}

export function readTicketContext(privateMetadata: string | undefined): TicketContext | undefined {
  try {
    const parsed = JSON.parse(privateMetadata ?? '') as Partial<TicketContext>;
    return typeof parsed.channel === 'string' && typeof parsed.team === 'string' ? { team: parsed.team, channel: parsed.channel } : undefined;
  } catch {
    return undefined;
  }
}
