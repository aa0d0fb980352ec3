// The order ticket's request body: what the API takes, with nothing made up from what was typed.

import { beforeAll, describe, expect, it } from '@jest/globals';

interface OrdersApiModule {
  orderBody(fields: { symbol: string; side: string; type: string; quantity: string; limitPrice: string; portfolio: string }): Record<string, unknown>;
}
const ORDERS_API_MODULE_PATH: string = '../../src/dashboard/public/orders-api.js';
let ordersApi: OrdersApiModule;

beforeAll(async () => {
  ordersApi = (await import(ORDERS_API_MODULE_PATH)) as OrdersApiModule;
});

describe('order ticket body', () => {
  it('sends a whole quantity as a number and the limit price as the decimal string typed', () => {
    expect(ordersApi.orderBody({ symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: ' 12 ', limitPrice: '101.0001', portfolio: 'Alpha' })).toEqual({
      symbol: 'AAPL',
      side: 'BUY',
      type: 'LIMIT',
      quantity: 12,
      limit_price: '101.0001',
      portfolio_name: 'Alpha',
    });
  });

  it('leaves the price off a market order, and a quantity that is not whole as typed for the API to refuse', () => {
    expect(ordersApi.orderBody({ symbol: 'AAPL', side: 'SELL', type: 'MARKET', quantity: '1.5', limitPrice: '99.00', portfolio: 'Alpha' })).toEqual({
      symbol: 'AAPL',
      side: 'SELL',
      type: 'MARKET',
      quantity: '1.5',
      portfolio_name: 'Alpha',
    });
  });
});
