import { describe, expect, it } from '@jest/globals';
import { buildAppHome } from '../../../src/slack/blocks/app-home.js';
import { CANCEL_ORDER_ACTION } from '../../../src/slack/blocks/cancel-button.js';
import { buildErrorReply } from '../../../src/slack/blocks/error-reply.js';
import { buildOpenOrders, MAX_LISTED_ORDERS } from '../../../src/slack/blocks/open-orders.js';
import { buildPortfolioSummary, POSITION_COLUMNS } from '../../../src/slack/blocks/portfolio-summary.js';
import { buildQuote } from '../../../src/slack/blocks/quote.js';
import { aBook, anOrder, aSummary, visibleText } from '../support/fixtures.js';

describe('portfolio summary', () => {
  it('shows cash, equity and P&L as fields with exact amounts', () => {
    const msg = buildPortfolioSummary(aSummary());
    expect(msg.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Portfolio: Tech Portfolio', emoji: true } });
    const totals = msg.blocks.find((b) => b.block_id === 'totals') as { fields: { text: string }[] };
    expect(totals.fields.map((f) => f.text)).toEqual([
      '*Cash*\n$982,475.00',
      '*Equity*\n$1,000,050.00',
      '*Market value*\n$17,575.00',
      '*Total P&L*\n+$37.50',
      '*Unrealized P&L*\n+$50.00',
      '*Realized P&L*\n-$12.50',
      '*GMV*\n$17,575.00',
      '*Open orders*\n2',
    ]);
    expect(msg.text).toBe('Portfolio Tech Portfolio: equity $1,000,050.00, cash $982,475.00, total P&L +$37.50');
  });

  it('lists positions in a table, numbers right-aligned', () => {
    const table = buildPortfolioSummary(aSummary()).blocks.find((b) => b.type === 'table') as {
      rows: { text: string }[][];
      column_settings: { align: string }[];
    };
    expect(table.rows.map((r) => r.map((c) => c.text))).toEqual([
      [...POSITION_COLUMNS],
      ['AAPL', '100', '175.25', '175.75', '$17,575.00', '+$50.00', '-$12.50'],
    ]);
    expect(table.column_settings.map((c) => c.align)).toEqual(['left', 'right', 'right', 'right', 'right', 'right', 'right']);
  });

  it('shows a closed position (no average cost) with its realized P&L', () => {
    const closed = { ...aSummary().positions[0], quantity: 0, avg_cost: null, market_value: '0', unrealized_pnl: '0', realized_pnl: '25' };
    const table = buildPortfolioSummary(aSummary({ positions: [closed] })).blocks.find((b) => b.type === 'table') as { rows: { text: string }[][] };
    expect(table.rows[1].map((c) => c.text)).toEqual(['AAPL', '0', '—', '175.75', '$0.00', '$0.00', '+$25.00']);
  });

  it('says so when there are no positions, and caps the table at Slack\'s 100 rows', () => {
    expect(visibleText(buildPortfolioSummary(aSummary({ positions: [] })).blocks)).toContain('No positions yet.');
    const many = aSummary({ positions: Array.from({ length: 120 }, (_, i) => ({ ...aSummary().positions[0], symbol: `S${i}` })) });
    const msg = buildPortfolioSummary(many);
    expect((msg.blocks.find((b) => b.type === 'table') as { rows: unknown[] }).rows).toHaveLength(100);
    expect(visibleText(msg.blocks)).toContain('…and 21 more positions.');
  });
});

describe('open orders list', () => {
  it('gives each order a line and a Cancel button carrying its id', () => {
    const msg = buildOpenOrders([anOrder({ id: '1' }), anOrder({ id: '2', side: 'SELL' })], 'Tech Portfolio');
    const rows = msg.blocks.filter((b) => b.type === 'section') as { block_id: string; accessory: { action_id: string; value: string } }[];
    expect(rows.map((r) => [r.block_id, r.accessory.action_id, r.accessory.value])).toEqual([
      ['open_order_1', CANCEL_ORDER_ACTION, '1'],
      ['open_order_2', CANCEL_ORDER_ACTION, '2'],
    ]);
    expect(visibleText(msg.blocks)).toContain('*SELL 100 AAPL limit $175.25 GTC*\n`2` · Tech Portfolio · Working');
  });

  it('says there are none', () => {
    const msg = buildOpenOrders([], 'Tech Portfolio');
    expect(msg.text).toBe('No open orders in Tech Portfolio.');
    expect(visibleText(msg.blocks)).toContain('No open orders.');
  });

  it('stays within Slack\'s 50 blocks and says when it shows only the newest', () => {
    const orders = Array.from({ length: 60 }, (_, i) => anOrder({ id: String(i) }));
    const msg = buildOpenOrders(orders, 'P');
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    expect(msg.blocks.filter((b) => b.type === 'section')).toHaveLength(MAX_LISTED_ORDERS);
    expect(visibleText(msg.blocks)).toContain(`Showing the newest ${MAX_LISTED_ORDERS}.`);
  });
});

describe('quote', () => {
  it('shows top of book, last and reference', () => {
    const msg = buildQuote(aBook());
    expect(msg.text).toBe('AAPL: bid $175.20 × 300, ask $175.30 × 1,200, last $175.25, reference $175.00');
    expect((msg.blocks[0] as { fields: { text: string }[] }).fields.map((f) => f.text)).toEqual([
      '*Bid*\n$175.20 × 300',
      '*Ask*\n$175.30 × 1,200',
      '*Last*\n$175.25',
      '*Reference*\n$175.00',
    ]);
  });

  it('says where the prices come from, and marks them when they are not current', () => {
    const live = buildQuote(aBook(), { source: 'coinbase', market_status: 'live', session: '24/7' });
    expect(live.text).toBe('AAPL: bid $175.20 × 300, ask $175.30 × 1,200, last $175.25, reference $175.00 (coinbase, live, 24/7)');
    expect(live.blocks[1]).toEqual({ type: 'context', block_id: 'quote-source', elements: [{ type: 'mrkdwn', text: 'Prices: coinbase · live · 24/7' }] });
    const stale = buildQuote(aBook(), { source: 'alpaca', market_status: 'stale', session: 'us-equities' });
    expect((stale.blocks[1] as { elements: { text: string }[] }).elements[0].text).toBe('Prices: alpaca · *STALE* · us-equities');
  });

  it('shows dashes for an empty book', () => {
    expect(buildQuote(aBook({ bids: [], asks: [], last_price: null })).text).toBe('AAPL: bid —, ask —, last —, reference $175.00');
  });
});

describe('App Home', () => {
  const portfolios = [{ name: 'Tech Portfolio', cash: '982475', starting_cash: '1000000', allow_short: false, is_house: false, created_at: '2026-11-23T09:00:00Z' }];

  it('shows the user\'s open orders with Cancel and the portfolios with cash', () => {
    const view = buildAppHome({ portfolios, orders: [anOrder({ id: '7' })] });
    expect(view.type).toBe('home');
    const text = visibleText(view.blocks);
    expect(text).toContain('Your open orders');
    expect(text).toContain('*BUY 100 AAPL limit $175.25 GTC*\n`7`');
    expect(text).toContain('*Tech Portfolio*  ·  cash $982,475.00  ·  started with $1,000,000.00');
    expect(JSON.stringify(view.blocks)).toContain(`"action_id":"${CANCEL_ORDER_ACTION}","value":"7"`);
  });

  it('has empty states and a notice on top when given', () => {
    const view = buildAppHome({ portfolios: [], orders: [], notice: 'Canceled order 7.' });
    expect(view.blocks[0]).toEqual(expect.objectContaining({ block_id: 'notice' }));
    expect(visibleText(view.blocks)).toContain('No open orders. Place one with `/trade`.');
    expect(visibleText(view.blocks)).toContain('No portfolios yet.');
  });

  it('stays within Slack\'s 100 blocks', () => {
    const many = Array.from({ length: 80 }, (_, i) => ({ ...portfolios[0], name: `P${i}` }));
    const orders = Array.from({ length: 80 }, (_, i) => anOrder({ id: String(i) }));
    expect(buildAppHome({ portfolios: many, orders, notice: 'x' }).blocks.length).toBeLessThanOrEqual(100);
  });
});

describe('error reply', () => {
  it('says what went wrong, then the usage, with Slack control characters escaped', () => {
    const msg = buildErrorReply('No portfolio "<R&D>"', '`/cancel <order id>`');
    expect(visibleText(msg.blocks)).toBe(':warning: No portfolio "&lt;R&amp;D&gt;"\n`/cancel &lt;order id&gt;`');
    expect(msg.text).toBe('No portfolio "<R&D>"\n`/cancel <order id>`');
  });
});
