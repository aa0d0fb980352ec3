import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestOms } from '../support/oms.js';
import { anyIso, expectError, flatSummary, expectNoServerErrors, startApi, type ApiClient } from './support/client.js';
import { expectDocumentedAnswers } from './support/contract.js';

/** GET/POST /portfolios and the summary of GET /portfolio/{name}, with exact average-cost P&L. */
let oms: TestOms;
let api: ApiClient;

beforeAll(async () => {
  ({ oms, api } = await startApi());
}, 60_000);

afterAll(async () => {
  await oms?.stop();
});

const emptySummary = (name: string, cash: string, allowShort: boolean) =>
  flatSummary({ name, cash, starting_cash: cash, equity: cash, allow_short: allowShort });

describe('POST /portfolios and GET /portfolios', () => {
  it('creates a portfolio: 201 with its summary; starting cash defaults to 1,000,000.00', async () => {
    const res = await api.post('/portfolios', { name: 'Tech Portfolio', starting_cash: '100000' });
    expect({ status: res.status, body: res.body }).toEqual({ status: 201, body: emptySummary('Tech Portfolio', '100000.00', false) });
    const street = await api.post('/portfolios', { name: 'Street', allow_short: true });
    expect({ status: street.status, body: street.body }).toEqual({ status: 201, body: emptySummary('Street', '1000000.00', true) });
    const flat = await api.post('/portfolios', { name: 'flat-1.b', starting_cash: 5000.5 });
    expect({ status: flat.status, body: flat.body }).toEqual({ status: 201, body: emptySummary('flat-1.b', '5000.50', false) });
  });

  it('lists every portfolio (the house included) with cash and settings', async () => {
    const res = await api.get('/portfolios');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [
        { name: 'HOUSE', cash: '0.00', starting_cash: '0.00', allow_short: true, is_house: true, created_at: anyIso() },
        { name: 'Tech Portfolio', cash: '100000.00', starting_cash: '100000.00', allow_short: false, is_house: false, created_at: anyIso() },
        { name: 'Street', cash: '1000000.00', starting_cash: '1000000.00', allow_short: true, is_house: false, created_at: anyIso() },
        { name: 'flat-1.b', cash: '5000.50', starting_cash: '5000.50', allow_short: false, is_house: false, created_at: anyIso() },
      ],
    });
  });

  it('refuses a duplicate name (409 PORTFOLIO_EXISTS), a bad name or cash (400)', async () => {
    expectError(await api.post('/portfolios', { name: 'Street' }), 409, 'PORTFOLIO_EXISTS', 'a portfolio named Street already exists');
    expectError(await api.post('/portfolios', { name: 'bad/name' }), 400, 'VALIDATION_ERROR', 'name: name may hold letters, digits, space, . _ -', [
      { path: 'name', message: 'name may hold letters, digits, space, . _ -' },
    ]);
    expectError(await api.post('/portfolios', { name: 'Neg', starting_cash: '-5' }), 400, 'VALIDATION_ERROR', 'starting_cash: starting_cash must be positive', [
      { path: 'starting_cash', message: 'starting_cash must be positive' },
    ]);
    expectError(await api.post('/portfolios', { name: 'X', owner: 'me' }), 400, 'VALIDATION_ERROR', 'owner: Unrecognized key: "owner"', [
      { path: 'owner', message: 'Unrecognized key: "owner"' },
    ]);
  });

  it('an unknown portfolio is a 404 PORTFOLIO_NOT_FOUND', async () => {
    expectError(await api.get('/portfolio/Nobody'), 404, 'PORTFOLIO_NOT_FOUND', 'no portfolio Nobody');
  });

  it('a name in the wrong case is not found either, but points to the real one', async () => {
    expect((await api.get('/portfolio/Tech%20Portfolio')).status).toBe(200);
    expectError(await api.get('/portfolio/tech%20portfolio'), 404, 'PORTFOLIO_NOT_FOUND', 'no portfolio tech portfolio (names are case-sensitive: did you mean "Tech Portfolio"?)');
  });
});

describe('GET /portfolio/{name}: average cost, realized and unrealized P&L', () => {
  let symbol: string;

  beforeAll(async () => {
    symbol = await api.newSymbol('150.00');
    // Buy 100 @ 150.00 and 50 @ 156.00: 150 at an average cost of 152.00 (22,800.00).
    await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 100, limit_price: '150.00', portfolio_name: 'Street' });
    await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 100, limit_price: '150.00', portfolio_name: 'Tech Portfolio' });
    await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 50, limit_price: '156.00', portfolio_name: 'Street' });
    await api.place({ symbol, side: 'BUY', type: 'MARKET', quantity: 50, portfolio_name: 'Tech Portfolio' });
    // Partial close: sell 60 @ 160.00, realizing 60 x (160.00 - 152.00) = 480.00.
    await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 60, limit_price: '160.00', portfolio_name: 'Street' });
    await api.place({ symbol, side: 'SELL', type: 'LIMIT', quantity: 60, limit_price: '160.00', portfolio_name: 'Tech Portfolio' });
    // An open order counts, but holds cash without spending it.
    await api.place({ symbol, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '100.00', portfolio_name: 'Tech Portfolio', time_in_force: 'GTC' });
    // Marked at the reference price.
    await api.setPrice(symbol, '158.00');
  });

  it('a long position: avg cost 152.00, realized 480.00 after the partial close, unrealized 540.00 at 158.00', async () => {
    const res = await api.get(`/portfolio/${encodeURIComponent('Tech Portfolio')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      name: 'Tech Portfolio',
      // 100,000.00 - 15,000.00 - 7,800.00 + 9,600.00
      cash: '86800.00',
      starting_cash: '100000.00',
      equity: '101020.00',
      market_value: '14220.00',
      gmv: '14220.00',
      unrealized_pnl: '540.00',
      realized_pnl: '480.00',
      fees_paid: '0.00',
      total_pnl: '1020.00',
      allow_short: false,
      open_orders: 1,
      positions: [
        {
          symbol,
          quantity: 90,
          avg_cost: '152.00',
          cost_basis: '13680.00',
          reference_price: '158.00',
          market_value: '14220.00',
          gmv: '14220.00',
          unrealized_pnl: '540.00',
          realized_pnl: '480.00',
        },
      ],
      as_of: anyIso(),
    });
  });

  it('the other side, a short position: negative market value, positive gmv, mirrored P&L', async () => {
    const res = await api.get('/portfolio/Street');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      name: 'Street',
      cash: '1013200.00',
      starting_cash: '1000000.00',
      equity: '998980.00',
      market_value: '-14220.00',
      gmv: '14220.00',
      unrealized_pnl: '-540.00',
      realized_pnl: '-480.00',
      fees_paid: '0.00',
      total_pnl: '-1020.00',
      allow_short: true,
      open_orders: 0,
      positions: [
        {
          symbol,
          quantity: -90,
          avg_cost: '152.00',
          cost_basis: '-13680.00',
          reference_price: '158.00',
          market_value: '-14220.00',
          gmv: '14220.00',
          unrealized_pnl: '-540.00',
          realized_pnl: '-480.00',
        },
      ],
      as_of: anyIso(),
    });
  });

  it('a closed position keeps its realized P&L, with no average cost', async () => {
    const other = await api.newSymbol('20.00');
    await api.place({ symbol: other, side: 'SELL', type: 'LIMIT', quantity: 10, limit_price: '20.00', portfolio_name: 'Street' });
    await api.place({ symbol: other, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '20.00', portfolio_name: 'flat-1.b' });
    await api.place({ symbol: other, side: 'BUY', type: 'LIMIT', quantity: 10, limit_price: '21.5', portfolio_name: 'Street' });
    await api.place({ symbol: other, side: 'SELL', type: 'MARKET', quantity: 10, portfolio_name: 'flat-1.b' });
    const res = await api.get('/portfolio/flat-1.b');
    expect(res.body).toEqual({
      ...emptySummary('flat-1.b', '5015.50', false),
      starting_cash: '5000.50',
      realized_pnl: '15.00',
      fees_paid: '0.00',
      total_pnl: '15.00',
      positions: [
        {
          symbol: other,
          quantity: 0,
          avg_cost: null,
          cost_basis: '0.00',
          reference_price: '20.00',
          market_value: '0.00',
          gmv: '0.00',
          unrealized_pnl: '0.00',
          realized_pnl: '15.00',
        },
      ],
    });
  });

  it('GET /portfolios shows the cash after the trades', async () => {
    const res = await api.get('/portfolios');
    expect(res.body.data.map((p: { name: string; cash: string }) => [p.name, p.cash])).toEqual([
      ['HOUSE', '0.00'],
      ['Tech Portfolio', '86800.00'],
      ['Street', '1013185.00'],
      ['flat-1.b', '5015.50'],
    ]);
  });
});

describe('hygiene', () => {
  it('no response was a 500 or carried a stack trace, and every answer has its documented shape', () => {
    expectNoServerErrors(api.seen);
    expectDocumentedAnswers(api.seen);
  });
});
