import type { BookSnapshot, Order, PortfolioSummary, Trade } from '../../../src/slack/oms-types.js';
import { TICKET } from '../../../src/slack/blocks/trade-ticket.js';

/** OMS objects shaped as the OMS answers them (typed by its response schemas), for the pure block tests. */

export function anOrder(over: Partial<Order> = {}): Order {
  return {
    id: '101',
    client_order_id: 'slack-abc',
    symbol: 'AAPL',
    side: 'BUY',
    type: 'LIMIT',
    quantity: 100,
    filled_quantity: 0,
    remaining_quantity: 100,
    limit_price: '175.25',
    stop_price: null,
    time_in_force: 'GTC',
    status: 'NEW',
    reason: null,
    triggered: null,
    avg_fill_price: null,
    portfolio_name: 'Tech Portfolio',
    user_id: 'slack:T1:U1',
    origin: { slack: { team: 'T1', channel: 'C1', user: 'U1' } },
    created_at: '2026-11-23T10:00:00.000Z',
    updated_at: '2026-11-23T10:00:00.000Z',
    ...over,
  };
}

export function aTrade(over: Partial<Trade> = {}): Trade {
  return {
    trade_id: '9001',
    symbol: 'AAPL',
    price: '175.25',
    quantity: 40,
    gmv: '7010.00',
    aggressor_side: 'SELL',
    buy_order_id: '101',
    sell_order_id: '202',
    buy_portfolio: 'Tech Portfolio',
    sell_portfolio: 'Other',
    kind: 'MATCH',
    buy_fee: '0.00',
    sell_fee: '0.00',
    executed_at: '2026-11-23T10:05:00.000Z',
    ...over,
  };
}

export function aSummary(over: Partial<PortfolioSummary> = {}): PortfolioSummary {
  return {
    name: 'Tech Portfolio',
    cash: '982475.00',
    starting_cash: '1000000.00',
    equity: '1000050.00',
    market_value: '17575.00',
    gmv: '17575.00',
    unrealized_pnl: '50.00',
    realized_pnl: '-12.5',
    fees_paid: '0.00',
    total_pnl: '37.50',
    allow_short: false,
    open_orders: 2,
    positions: [
      {
        symbol: 'AAPL',
        quantity: 100,
        avg_cost: '175.25',
        cost_basis: '17525.00',
        reference_price: '175.75',
        market_value: '17575.00',
        gmv: '17575.00',
        unrealized_pnl: '50.00',
        realized_pnl: '-12.5',
      },
    ],
    as_of: '2026-11-23T10:10:00.000Z',
    ...over,
  };
}

export function aBook(over: Partial<BookSnapshot> = {}): BookSnapshot {
  return {
    symbol: 'AAPL',
    bids: [{ price: '175.20', quantity: 300, orders: 2 }],
    asks: [{ price: '175.30', quantity: 1200, orders: 3 }],
    last_price: '175.25',
    reference_price: '175.00',
    trades: [],
    ...over,
  };
}

/** All the text of a block list, to assert on what a reader sees. */
export function visibleText(blocks: readonly unknown[]): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(blocks);
  return out.join('\n');
}

/** The trade ticket modal's submitted state values, as Slack sends them: a select's option, a text's value. */
export function ticketValues(fields: Partial<Record<keyof typeof TICKET, string>>) {
  const v: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [key, ids] of Object.entries(TICKET)) {
    const given = fields[key as keyof typeof TICKET];
    const select = key === 'side' || key === 'type' || key === 'timeInForce';
    v[ids.block] = { [ids.action]: select ? { selected_option: given ? { value: given } : null } : { value: given ?? null } };
  }
  return v;
}
