// End-to-end test of the live dashboard (src/dashboard/public) in headless Chromium against the real
// OMS (house market maker and simulator off, so the book holds only this test's orders).
//
// The page must work from the WebSocket feed alone: everything placed over REST here has to show up
// without a reload, the portfolio panel must follow a read key, and the page must survive an OMS
// restart (reconnect, re-authenticate, re-subscribe, re-snapshot).
//
// Chromium comes from the OS (`apt-get install -y chromium`); if it is missing this test fails with
// a message saying so (it is never skipped). CHROMIUM_PATH overrides the default /usr/bin/chromium.

import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startTestOms } from '../support/oms.js';

type TestOms = Awaited<ReturnType<typeof startTestOms>>;

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const WAIT_MS = 10_000;

const PF_A = 'DASH-A';
const PF_B = 'DASH-B';

interface OrderResponse {
  id: string;
  status: string;
  fills: { trade_id: string; price: string; quantity: number }[];
}

interface PortfolioSummary {
  name: string;
  cash: string;
  equity: string;
  positions: { symbol: string; quantity: number }[];
}

let oms: TestOms | null = null;
let browser: Browser | null = null;
let page: Page;
const pageErrors: string[] = [];
const cspViolations: string[] = [];
const framesSent: string[] = [];
const requestsMade: { url: string; body: string }[] = [];

// ---------------------------------------------------------------------------------------------
// Helpers

function current(): TestOms {
  if (!oms) throw new Error('the OMS is not running');
  return oms;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const { baseUrl, adminKey } = current();
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: { 'X-API-Key': adminKey, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

function placeLimit(portfolio: string, side: 'BUY' | 'SELL', quantity: number, limitPrice: string): Promise<OrderResponse> {
  return api<OrderResponse>('POST', '/orders', {
    symbol: 'AAPL',
    side,
    type: 'LIMIT',
    quantity,
    limit_price: limitPrice,
    time_in_force: 'GTC',
    portfolio_name: portfolio,
  });
}

/** What the page shows, for failure messages. */
async function pageState(): Promise<string> {
  try {
    return await page.evaluate(() => {
      const rows = (sel: string) =>
        [...document.querySelectorAll<HTMLElement>(sel)].map((r) => `${r.dataset.price ?? r.dataset.symbol ?? r.dataset.orderId}x${r.dataset.quantity ?? ''}`);
      return JSON.stringify({
        connection: document.querySelector('#connection-state')?.textContent,
        feedError: document.querySelector('#feed-error')?.textContent,
        portfolioStatus: document.querySelector('#portfolio-status')?.textContent,
        symbol: (document.querySelector('#symbol-select') as HTMLSelectElement | null)?.value,
        bids: rows('#book-bids [data-price]'),
        asks: rows('#book-asks [data-price]'),
        trades: [...document.querySelectorAll<HTMLElement>('#trades-tape [data-trade-id]')].map((r) => r.dataset.tradeId),
        cash: document.querySelector('#portfolio-cash')?.textContent,
        positions: rows('#positions-table tr[data-symbol]'),
        openOrders: [...document.querySelectorAll<HTMLElement>('#open-orders-table tr[data-order-id]')].map((r) => r.dataset.orderId),
      });
    });
  } catch (err) {
    return `(page state unavailable: ${String(err)})`;
  }
}

/** waitForFunction with a readable failure: what was awaited and what the page showed. */
async function waitForPage<A>(what: string, fn: (arg: A) => boolean, arg: A, timeout = WAIT_MS): Promise<void> {
  try {
    // (Playwright's Unboxed<Arg> does not reduce for a generic Arg, hence the widening.)
    await page.waitForFunction(fn as (a: unknown) => boolean, arg as unknown, { timeout, polling: 100 });
  } catch (err) {
    throw new Error(`timed out after ${timeout} ms waiting for ${what}; page: ${await pageState()}; ${String(err).split('\n')[0]}`);
  }
}

function waitForConnection(state: string): Promise<void> {
  return waitForPage(
    `#connection-state = ${state}`,
    (s: string) => document.querySelector('#connection-state')?.textContent === s,
    state,
  );
}

interface LevelArg {
  side: 'bids' | 'asks';
  price: number;
  quantity: number;
}

function waitForLevel(level: LevelArg): Promise<void> {
  return waitForPage(
    `${level.side} level ${level.price} x ${level.quantity}`,
    (l: LevelArg) =>
      [...document.querySelectorAll<HTMLElement>(`#book-${l.side} [data-price]`)].some(
        (r) => Number(r.dataset.price) === l.price && Number(r.dataset.quantity) === l.quantity && (r.textContent ?? '').includes(String(l.quantity)),
      ),
    level,
  );
}

function launchOptions() {
  return { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS };
}

// ---------------------------------------------------------------------------------------------

describe('dashboard (/)', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM_PATH}: the dashboard test needs a headless Chromium. ` +
          'Install it with `apt-get install -y chromium` (or set CHROMIUM_PATH).',
      );
    }
    oms = await startTestOms();
    await api('POST', '/portfolios', { name: PF_A, starting_cash: '100000.00', allow_short: true });
    await api('POST', '/portfolios', { name: PF_B, starting_cash: '100000.00' });

    browser = await chromium.launch(launchOptions());
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (/Content[- ]Security[- ]Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    page.on('request', (req) => requestsMade.push({ url: req.url(), body: req.postData() ?? '' }));
    page.on('websocket', (ws) => {
      ws.on('framesent', (frame) => framesSent.push(typeof frame.payload === 'string' ? frame.payload : frame.payload.toString('utf8')));
    });
  }, 120_000);

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await oms?.stop();
      oms = null;
    }
  }, 60_000);

  it('loads, connects to the feed and picks the symbol from ?symbol=', async () => {
    // Set before the page loads: the ticker snapshot carries each symbol's market status.
    for (const desk of current().service.desks.all()) {
      desk.setMarket('MSFT', { source: 'simulator', status: 'closed' });
      desk.setMarket('TSLA', { source: 'simulator', status: 'stale' });
    }
    await page.goto(`${current().baseUrl}/?symbol=AAPL`);
    await waitForConnection('live');
    await waitForPage(
      'AAPL in the symbol picker',
      () => {
        const sel = document.querySelector<HTMLSelectElement>('#symbol-select');
        return !!sel && sel.value === 'AAPL' && [...sel.options].some((o) => o.value === 'AAPL');
      },
      null,
    );
    // Every element a browser test relies on is there.
    for (const id of [
      '#book-bids',
      '#book-asks',
      '#trades-tape',
      '#price-chart',
      '#api-key-input',
      '#portfolio-input',
      '#portfolio-connect',
      '#portfolio-panel',
      '#portfolio-cash',
      '#portfolio-equity',
      '#positions-table',
      '#open-orders-table',
      '#feed-error',
    ]) {
      expect(await page.locator(id).count()).toBe(1);
    }
    // The portfolio panel stays hidden until a key and a portfolio are given.
    expect(await page.locator('#portfolio-panel').isVisible()).toBe(false);
  }, 60_000);

  it('marks a stale or closed symbol in the watchlist and the picker, and a live one not at all', async () => {
    await waitForPage(
      'MSFT closed and TSLA stale in the watchlist',
      () =>
        document.querySelector<HTMLElement>('#watchlist tr[data-symbol="MSFT"]')?.dataset.marketStatus === 'closed' &&
        document.querySelector<HTMLElement>('#watchlist tr[data-symbol="TSLA"]')?.dataset.marketStatus === 'stale',
      null,
    );
    const shown = await page.evaluate(() => {
      const row = (s: string) => document.querySelector<HTMLElement>(`#watchlist tr[data-symbol="${s}"]`);
      const option = (s: string) => [...document.querySelectorAll<HTMLOptionElement>('#symbol-select option')].find((o) => o.value === s)?.textContent;
      return {
        msft: row('MSFT')?.querySelector('.market-status')?.textContent,
        tsla: row('TSLA')?.querySelector('.market-status')?.textContent,
        aapl: { status: row('AAPL')?.dataset.marketStatus, badges: row('AAPL')?.querySelectorAll('.market-status').length },
        options: { MSFT: option('MSFT'), TSLA: option('TSLA'), AAPL: option('AAPL') },
        headerHidden: document.querySelector<HTMLElement>('#symbol-market')?.hidden,
      };
    });
    expect(shown).toEqual({
      msft: 'closed',
      tsla: 'stale',
      aapl: { status: 'live', badges: 0 },
      options: { MSFT: 'MSFT (closed)', TSLA: 'TSLA (stale)', AAPL: 'AAPL' },
      headerHidden: true,
    });
    // Choosing the closed symbol shows its status by the picker.
    await page.selectOption('#symbol-select', 'MSFT');
    await waitForPage(
      'the closed badge by the picker',
      () => {
        const badge = document.querySelector<HTMLElement>('#symbol-market');
        return !!badge && !badge.hidden && badge.textContent === 'closed';
      },
      null,
    );
    await page.selectOption('#symbol-select', 'AAPL');
    await waitForPage('the badge gone for AAPL', () => document.querySelector<HTMLElement>('#symbol-market')?.hidden === true, null);
  }, 60_000);

  it('shows resting orders placed over REST in the ladder without a reload', async () => {
    const buy = await placeLimit(PF_A, 'BUY', 10, '100.00');
    const sell = await placeLimit(PF_A, 'SELL', 5, '101.00');
    expect(buy.status).toBe('NEW');
    expect(sell.status).toBe('NEW');

    await waitForLevel({ side: 'bids', price: 100, quantity: 10 });
    await waitForLevel({ side: 'asks', price: 101, quantity: 5 });

    const book = await page.evaluate(() => ({
      bids: [...document.querySelectorAll<HTMLElement>('#book-bids [data-price]')].map((r) => ({
        price: r.dataset.price,
        best: r.classList.contains('best'),
        text: r.textContent,
      })),
      asks: [...document.querySelectorAll<HTMLElement>('#book-asks [data-price]')].map((r) => ({
        price: r.dataset.price,
        best: r.classList.contains('best'),
        text: r.textContent,
      })),
      spread: document.querySelector<HTMLElement>('#book-spread-value')?.dataset.value,
    }));
    expect(book.bids).toHaveLength(1);
    expect(book.asks).toHaveLength(1);
    expect(book.bids[0].best).toBe(true);
    expect(book.asks[0].best).toBe(true);
    expect(book.bids[0].text).toContain('100.00');
    expect(book.asks[0].text).toContain('101.00');
    expect(Number(book.spread)).toBe(1);
  }, 60_000);

  it('prints a crossing trade on the tape and takes the level out of the ladder', async () => {
    const cross = await placeLimit(PF_B, 'BUY', 5, '101.00');
    expect(cross.status).toBe('FILLED');
    expect(cross.fills).toHaveLength(1);
    const tradeId = String(cross.fills[0].trade_id);
    expect(Number(cross.fills[0].price)).toBe(101);

    await waitForPage(
      `trade ${tradeId} on the tape`,
      (id: string) => {
        const row = document.querySelector<HTMLElement>(`#trades-tape [data-trade-id="${id}"]`);
        return !!row && Number(row.dataset.price) === 101 && Number(row.dataset.quantity) === 5;
      },
      tradeId,
    );
    const row = await page.evaluate((id: string) => {
      const r = document.querySelector<HTMLElement>(`#trades-tape [data-trade-id="${id}"]`);
      const first = document.querySelector<HTMLElement>('#trades-tape [data-trade-id]');
      return { text: r?.textContent ?? '', side: r?.dataset.side, isFirst: first === r, buyClass: r?.classList.contains('buy') };
    }, tradeId);
    expect(row.text).toContain('101.00');
    expect(row.text).toContain('5');
    expect(row.side).toBe('BUY');
    expect(row.buyClass).toBe(true);
    expect(row.isFirst).toBe(true); // newest first

    // The sell at 101 is gone, the bid stays; the chart got the print.
    await waitForPage('no asks left', () => document.querySelectorAll('#book-asks [data-price]').length === 0, null);
    await waitForLevel({ side: 'bids', price: 100, quantity: 10 });
    await waitForPage(
      'the trade on the price chart',
      () => Number(document.querySelector<HTMLElement>('#price-chart')?.dataset.points ?? 0) > 0,
      null,
    );
    // Labelled with the exact decimal the feed sent, not a float's rendering of it.
    expect(await page.evaluate(() => document.querySelector<HTMLElement>('#price-chart')?.dataset.lastPrice)).toBe('101.00');
  }, 60_000);

  it('shows the portfolio (cash, equity, positions, open orders) once a key is entered', async () => {
    const { adminKey } = current();
    const summary = await api<PortfolioSummary>('GET', `/portfolio/${encodeURIComponent(PF_A)}`);
    expect(Number(summary.cash)).toBe(100505); // 100,000 + 5 x 101 sold

    await page.fill('#api-key-input', adminKey);
    await page.fill('#portfolio-input', PF_A);
    await page.click('#portfolio-connect');

    await waitForPage(
      'the portfolio panel with cash 100,505.00',
      () => {
        const panel = document.querySelector<HTMLElement>('#portfolio-panel');
        const cash = document.querySelector<HTMLElement>('#portfolio-cash');
        return !!panel && !panel.hidden && !!cash && Number(cash.dataset.value) === 100505;
      },
      null,
    );
    await waitForPage(
      'position AAPL -5 and one open order',
      () =>
        Number(document.querySelector<HTMLElement>('#positions-table tr[data-symbol="AAPL"]')?.dataset.quantity) === -5 &&
        document.querySelectorAll('#open-orders-table tr[data-order-id]').length === 1,
      null,
    );

    const shown = await page.evaluate(() => ({
      cash: document.querySelector('#portfolio-cash')?.textContent,
      equity: document.querySelector<HTMLElement>('#portfolio-equity')?.dataset.value,
      position: document.querySelector('#positions-table tr[data-symbol="AAPL"]')?.textContent,
      orders: [...document.querySelectorAll<HTMLElement>('#open-orders-table tr[data-order-id]')].map((r) => r.dataset.orderId),
      keyInput: document.querySelector<HTMLInputElement>('#api-key-input')?.value,
    }));
    expect(shown.cash).toBe('100,505.00');
    const latest = await api<PortfolioSummary>('GET', `/portfolio/${encodeURIComponent(PF_A)}`);
    expect(Number(shown.equity)).toBe(Number(latest.equity));
    expect(shown.position).toContain('-5');
    expect(shown.position).toContain('101.00'); // average cost of the short

    const orders = await api<{ data: { id: string }[] }>('GET', `/orders?portfolio=${encodeURIComponent(PF_A)}&status=open`);
    expect(orders.data.map((o) => String(o.id))).toHaveLength(1);
    expect(shown.orders).toEqual(orders.data.map((o) => String(o.id)));
    expect(shown.keyInput).toBe(''); // the key does not linger in the form

    // A new order for the portfolio appears in its open orders without a reload.
    const extra = await placeLimit(PF_A, 'BUY', 3, '99.00');
    await waitForPage(
      `open order ${extra.id}`,
      (id: string) => !!document.querySelector(`#open-orders-table tr[data-order-id="${id}"]`),
      String(extra.id),
    );

    // The key lives in sessionStorage only, and never leaves the page except in the WS auth frame.
    const storage = await page.evaluate(() => ({
      session: Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k)),
      local: Object.keys(localStorage).map((k) => localStorage.getItem(k)),
    }));
    expect(storage.session).toContain(adminKey);
    expect(storage.local.some((v) => v?.includes(adminKey))).toBe(false);
    expect(page.url()).not.toContain(adminKey);
    expect(requestsMade.filter((r) => r.url.includes(adminKey) || r.body.includes(adminKey))).toEqual([]);
    const framesWithKey = framesSent.filter((f) => f.includes(adminKey));
    expect(framesWithKey.length).toBeGreaterThan(0);
    for (const f of framesWithKey) expect((JSON.parse(f) as { op?: string }).op).toBe('auth');
  }, 60_000);

  it('places an order from the ticket with the key entered, shows a refusal as the API words it, and cancels from the open orders', async () => {
    const { adminKey } = current();
    // A refusal: the API's code and message, as it answers the same request made directly.
    await page.selectOption('#ticket-symbol', 'AAPL');
    await page.selectOption('#ticket-side', 'BUY');
    await page.selectOption('#ticket-type', 'LIMIT');
    await page.fill('#ticket-quantity', '2');
    await page.fill('#ticket-price', '97.00001');
    await page.click('#ticket-submit');
    const direct = await fetch(`${current().baseUrl}/api/v1/orders`, {
      method: 'POST',
      headers: { 'X-API-Key': adminKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: 2, limit_price: '97.00001', portfolio_name: PF_A }),
    });
    const refusal = ((await direct.json()) as { error: { code: string; message: string } }).error;
    expect(direct.status).toBe(400);
    await waitForPage(
      'the refusal in the ticket status',
      (expected: string) => {
        const status = document.querySelector<HTMLElement>('#ticket-status');
        return status?.dataset.kind === 'bad' && (status.textContent ?? '').startsWith(expected);
      },
      `${refusal.code}: ${refusal.message}`,
    );

    await page.fill('#ticket-price', '97.00');
    await page.click('#ticket-submit');
    await waitForPage('the placed order in the ticket status', () => document.querySelector<HTMLElement>('#ticket-status')?.dataset.kind === 'ok', null);
    const id = await page.evaluate(() => document.querySelector<HTMLElement>('#ticket-status')?.dataset.orderId ?? '');
    const placed = await api<{ id: string; status: string; side: string; quantity: number; limit_price: string; portfolio_name: string }>('GET', `/orders/${id}`);
    expect(placed).toMatchObject({ status: 'NEW', side: 'BUY', quantity: 2, limit_price: '97.00', portfolio_name: PF_A });
    await waitForPage(`open order ${id} with a Cancel button`, (oid: string) => !!document.querySelector(`#open-orders-table button[data-cancel="${oid}"]`), id);
    await waitForLevel({ side: 'bids', price: 97, quantity: 2 });

    await page.click(`#open-orders-table button[data-cancel="${id}"]`);
    await waitForPage(`order ${id} gone from the open orders`, (oid: string) => !document.querySelector(`#open-orders-table tr[data-order-id="${oid}"]`), id);
    expect((await api<{ status: string }>('GET', `/orders/${id}`)).status).toBe('CANCELED');
    expect(await page.textContent('#ticket-status')).toBe(`Order ${id} canceled.`);
    await waitForPage('no bid at 97 any more', () => ![...document.querySelectorAll<HTMLElement>('#book-bids [data-price]')].some((r) => Number(r.dataset.price) === 97), null);
  }, 60_000);

  it('survives an OMS restart: reconnects, re-authenticates and re-snapshots', async () => {
    const { port, databaseUrl } = current();
    // Mark what is on screen now, to prove it is replaced by fresh data after the restart.
    await page.evaluate(() => {
      document.querySelectorAll('#book-bids [data-price]').forEach((r) => r.setAttribute('data-before-restart', '1'));
    });

    const stopping = current();
    oms = null;
    await stopping.stop();
    await waitForPage('#connection-state to leave live', () => document.querySelector('#connection-state')?.textContent !== 'live', null);
    expect(await page.textContent('#connection-state')).toBe('reconnecting');

    oms = await startTestOms({ port, databaseUrl });
    await waitForConnection('live');

    // The resting bid came back from the database and reached the page through a new snapshot.
    await waitForPage(
      'the resting bid 100 x 10 re-rendered after the restart',
      () =>
        [...document.querySelectorAll<HTMLElement>('#book-bids [data-price]')].some(
          (r) => Number(r.dataset.price) === 100 && Number(r.dataset.quantity) === 10 && !r.hasAttribute('data-before-restart'),
        ),
      null,
    );
    await waitForLevel({ side: 'bids', price: 99, quantity: 3 });

    // Subscriptions are live again: public and private channels follow new activity.
    const sell = await placeLimit(PF_B, 'SELL', 2, '102.00');
    await waitForLevel({ side: 'asks', price: 102, quantity: 2 });
    await waitForPage(
      'cash 100,505.00 after the restart',
      () => Number(document.querySelector<HTMLElement>('#portfolio-cash')?.dataset.value) === 100505,
      null,
    );
    const extraA = await placeLimit(PF_A, 'BUY', 1, '98.00');
    await waitForPage(
      `open order ${extraA.id} after the restart`,
      (id: string) => !!document.querySelector(`#open-orders-table tr[data-order-id="${id}"]`),
      String(extraA.id),
    );
    expect(sell.status).toBe('NEW');
    expect(await page.textContent('#connection-state')).toBe('live');
  }, 90_000);

  it('raised no page errors and no Content-Security-Policy violations', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});

// Candles need bars, which the market builds from a source's prints: a replayed day here.
describe('dashboard candles (bars:SYMBOL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paper-desk-dashboard-bars-'));
  const file = join(dir, 'day.csv');
  let replay: TestOms | null = null;
  let chartBrowser: Browser | null = null;
  let chartPage: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    writeFileSync(
      file,
      [
        'time,symbol,price,size,bid,ask',
        '2024-06-14T13:30:00Z,AAPL,212.10,100,212.05,212.15',
        '2024-06-14T13:30:20Z,AAPL,212.40,50,212.35,212.45',
        '2024-06-14T13:30:50Z,AAPL,212.00,30,211.95,212.05',
        '2024-06-14T13:31:10Z,AAPL,212.50,10,212.45,212.55',
        '2024-06-14T13:32:30Z,AAPL,212.30,4,212.25,212.35',
        '',
      ].join('\n'),
    );
    replay = await startTestOms({ env: { MARKET_DATA: 'replay', REPLAY_FILE: file, REPLAY_SPEED: '0' } });
    const { baseUrl, adminKey } = replay;
    // The replay is read at once; its bars are in the table within a flush or two.
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const res = await fetch(`${baseUrl}/api/v1/bars/AAPL?interval=1m`, { headers: { 'X-API-Key': adminKey } });
      const body = (await res.json()) as { data?: unknown[] };
      if (body.data?.length === 3) break;
      if (Date.now() > deadline) throw new Error(`the replay's bars never reached the table: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    chartBrowser = await chromium.launch(launchOptions());
    chartPage = await (await chartBrowser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    chartPage.on('pageerror', (err) => errors.push(err.message));
    chartPage.on('console', (msg) => {
      if (msg.type() === 'error' || /Content[- ]Security[- ]Policy/i.test(msg.text())) errors.push(msg.text());
    });
  }, 120_000);

  afterAll(async () => {
    try {
      await chartBrowser?.close();
    } finally {
      await replay?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('draws the one-minute bars of the feed as candles with volume, without a key', async () => {
    await chartPage.goto(`${replay!.baseUrl}/?symbol=AAPL`);
    try {
      await chartPage.waitForFunction(
        () => document.querySelector<HTMLElement>('#chart-panel')?.dataset.mode === 'candles' && document.querySelector<HTMLElement>('#candle-chart')?.dataset.bars === '3',
        null,
        { timeout: WAIT_MS, polling: 100 },
      );
    } catch (err) {
      const seen = await chartPage.evaluate(() => ({ ...document.querySelector<HTMLElement>('#candle-chart')?.dataset, mode: document.querySelector<HTMLElement>('#chart-panel')?.dataset.mode, error: document.querySelector('#feed-error')?.textContent }));
      throw new Error(`no candles: ${JSON.stringify(seen)}; errors ${JSON.stringify(errors)}; ${String(err).split('\n')[0]}`);
    }
    const shown = await chartPage.evaluate(() => {
      const box = document.querySelector<HTMLElement>('#candle-chart')!;
      const canvases = [...box.querySelectorAll('canvas')];
      return {
        lastClose: box.dataset.lastClose,
        lastVolume: box.dataset.lastVolume,
        drawn: canvases.some((c) => c.width > 100 && c.height > 100 && getComputedStyle(c).visibility === 'visible'),
        visible: getComputedStyle(box).visibility,
        lineChart: getComputedStyle(document.querySelector('#price-chart')!).visibility,
        legend: document.querySelector('#chart-mode')?.textContent,
      };
    });
    // The minute 13:32 is the last: close 212.30, volume 4, exactly as the feed sent them.
    expect(shown).toEqual({ lastClose: '212.30', lastVolume: '4', drawn: true, visible: 'visible', lineChart: 'hidden', legend: '1m candles · volume' });
    // The library is served from its package, as a script of this origin.
    const lib = await fetch(`${replay!.baseUrl}/vendor/lightweight-charts/lightweight-charts.standalone.production.mjs`);
    expect(lib.status).toBe(200);
    expect(lib.headers.get('content-type')).toMatch(/javascript/);
    expect(await lib.text()).toContain('Lightweight Charts');
    expect(errors).toEqual([]);
  }, 60_000);

  it("marks the desk's own trades on the candles: one made now, during the replayed day, on its latest bar", async () => {
    const { baseUrl, adminKey } = replay!;
    const headers = { 'X-API-Key': adminKey, 'Content-Type': 'application/json' };
    for (const name of ['Marks', 'Street']) {
      await fetch(`${baseUrl}/api/v1/portfolios`, { method: 'POST', headers, body: JSON.stringify({ name, starting_cash: '100000.00', allow_short: true }) });
    }
    // The replay is over and the house may have pulled its quotes as the data went quiet: Street
    // offers far above the market, and Marks' BUY up to that price takes the best offer there is
    // (the house's, if it still quotes, else Street's). One trade of 3 either way.
    const limit = (portfolio: string, side: string) => ({ symbol: 'AAPL', side, type: 'LIMIT', quantity: 3, limit_price: '400.00', portfolio_name: portfolio });
    expect((await fetch(`${baseUrl}/api/v1/orders`, { method: 'POST', headers, body: JSON.stringify(limit('Street', 'SELL')) })).status).toBe(201);
    const placed = await fetch(`${baseUrl}/api/v1/orders`, { method: 'POST', headers, body: JSON.stringify(limit('Marks', 'BUY')) });
    const order = (await placed.json()) as { status: string; fills: { price: string }[] };
    expect(order.status).toBe('FILLED');
    const marked = await chartPage.waitForFunction(
      () => {
        // One trade, so one marker.
        const box = document.querySelector<HTMLElement>('#candle-chart');
        return box?.dataset.markers === '1' ? box.dataset.lastMarker : undefined;
      },
      null,
      { timeout: WAIT_MS, polling: 100 },
    );
    const text = await marked.jsonValue();
    // On 13:32, the replay's last minute (the trade itself is stamped with today's wall clock).
    expect(text).toBe(`B 3 @ ${order.fills[0].price} on 2024-06-14T13:32:00.000Z`);
    expect(errors).toEqual([]);
  }, 60_000);
});
