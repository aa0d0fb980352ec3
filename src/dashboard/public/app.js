// Paper Desk live dashboard. Works from the WebSocket feed alone (docs/feed.md): ticker (instrument
// list, quotes and market status), book:SYMBOL, trades:SYMBOL, bars:SYMBOL (candles) and, once a read key is entered, portfolio:NAME and
// orders:NAME. Everything from the feed is written with textContent / attributes, never as markup.
// The API key is kept in sessionStorage only and sent only in the WebSocket `auth` frame and, for an
// order placed or canceled from this page, in the X-API-Key header of that request.

import { FeedClient } from './feed.js';
import { PriceChart } from './chart.js';
import { mergeBars } from './bars.js';
import { cancelOrder, placeOrder } from './orders-api.js';
import * as fmt from './format.js';

const MAX_TAPE_ROWS = 200;
const MAX_CHART_POINTS = 300;
const MAX_BARS = 500;
const OPEN_STATUSES = new Set(['NEW', 'PARTIALLY_FILLED']);

const LS_SYMBOL = 'paperdesk.symbol';
const LS_LAST_PORTFOLIO = 'paperdesk.lastPortfolio';
const SS_API_KEY = 'paperdesk.apiKey';
const SS_PORTFOLIO = 'paperdesk.portfolio';

// ---------------------------------------------------------------------------------------------
// Small DOM helpers

const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el;
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function td(text, className) {
  return el('td', className, text);
}

function storage(kind) {
  const get = () => {
    try {
      return kind === 'local' ? window.localStorage : window.sessionStorage;
    } catch {
      return null;
    }
  };
  return {
    get(key) {
      try {
        return get()?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        get()?.setItem(key, value);
      } catch {
        /* storage unavailable: the choice just is not remembered */
      }
    },
    remove(key) {
      try {
        get()?.removeItem(key);
      } catch {
        /* ignore */
      }
    },
  };
}

const local = storage('local');
const session = storage('session');

function pnlClass(value) {
  const s = fmt.sign(value);
  return s > 0 ? 'pos' : s < 0 ? 'neg' : '';
}

function setNum(node, value, { signed = false, colour = false } = {}) {
  node.textContent = fmt.money(value, { signed });
  node.dataset.value = value === null || value === undefined ? '' : String(value);
  if (colour) {
    node.classList.remove('pos', 'neg');
    const c = pnlClass(value);
    if (c) node.classList.add(c);
  }
}

// ---------------------------------------------------------------------------------------------
// Elements

const ui = {
  conn: $('connection'),
  connState: $('connection-state'),
  select: $('symbol-select'),
  quoteBid: $('quote-bid'),
  quoteAsk: $('quote-ask'),
  quoteLast: $('quote-last'),
  quoteRef: $('quote-ref'),
  bookPanel: $('book-panel'),
  bookSymbol: $('book-symbol'),
  asks: $('book-asks'),
  bids: $('book-bids'),
  spread: $('book-spread-value'),
  bookLast: $('book-last'),
  bookRef: $('book-ref'),
  tapePanel: $('tape-panel'),
  tape: $('trades-tape'),
  tapeCount: $('tape-count'),
  chart: $('price-chart'),
  chartPanel: $('chart-panel'),
  chartMode: $('chart-mode'),
  candleBox: $('candle-chart'),
  symbolMarket: $('symbol-market'),
  watchBody: $('watchlist').querySelector('tbody'),
  keyInput: $('api-key-input'),
  pfInput: $('portfolio-input'),
  pfConnect: $('portfolio-connect'),
  pfDisconnect: $('portfolio-disconnect'),
  pfStatus: $('portfolio-status'),
  pfName: $('portfolio-name'),
  pfPanel: $('portfolio-panel'),
  pfCash: $('portfolio-cash'),
  pfEquity: $('portfolio-equity'),
  pfPnl: $('portfolio-pnl'),
  pfUnrealized: $('portfolio-unrealized'),
  pfRealized: $('portfolio-realized'),
  pfMarketValue: $('portfolio-market-value'),
  pfGmv: $('portfolio-gmv'),
  pfOpenOrders: $('portfolio-open-orders'),
  pfAsOf: $('portfolio-as-of'),
  positionsBody: $('positions-table').querySelector('tbody'),
  ordersBody: $('open-orders-table').querySelector('tbody'),
  feedError: $('feed-error'),
  ticket: $('order-ticket'),
  ticketSymbol: $('ticket-symbol'),
  ticketSide: $('ticket-side'),
  ticketType: $('ticket-type'),
  ticketQuantity: $('ticket-quantity'),
  ticketPrice: $('ticket-price'),
  ticketSubmit: $('ticket-submit'),
  ticketStatus: $('ticket-status'),
  feedInfo: $('feed-info'),
};

// ---------------------------------------------------------------------------------------------
// State

const params = new URLSearchParams(location.search);
const querySymbol = (params.get('symbol') || '').trim().toUpperCase() || null;

const state = {
  instruments: new Map(), // symbol -> {symbol, reference_price, last_price, best_bid, best_ask, market_status}
  symbol: null,
  wantedSymbol: querySymbol || local.get(LS_SYMBOL),
  book: null,
  trades: [], // newest first
  tradeIds: new Set(),
  bars: [], // one-minute bars of the symbol, oldest first, as the feed sent them
  portfolio: null, // name
  summary: null,
  orders: new Map(), // id -> order (open only)
  lastHeartbeat: null,
  lastError: null,
};

const chart = new PriceChart(ui.chart, { maxPoints: MAX_CHART_POINTS });

// Candles need the charting library; until it loads, or if it cannot, the line chart stays.
let candles = null;
import('./candles.js')
  .then(({ CandleChart }) => {
    candles = new CandleChart(ui.candleBox, { maxBars: MAX_BARS });
    candles.set(state.bars);
    candles.markTrades(state.trades);
    renderChartMode();
  })
  .catch((err) => showError(`candles unavailable (${err?.message ?? err}): showing the line chart`, 'info'));

/** Candles once the symbol has bars and the library is loaded; the reference/trades line otherwise. */
function renderChartMode() {
  const mode = candles && state.bars.length > 0 ? 'candles' : 'line';
  ui.chartPanel.dataset.mode = mode;
  ui.chartMode.textContent = mode === 'candles' ? '1m candles · volume' : '';
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const feed = new FeedClient({ url: wsUrl });

// ---------------------------------------------------------------------------------------------
// Status line

function showError(text, kind = 'error', scope = '') {
  state.lastError = text;
  ui.feedError.textContent = `${fmt.clock(Date.now())} ${text}`;
  ui.feedError.classList.toggle('info', kind === 'info');
  ui.feedError.dataset.kind = kind;
  ui.feedError.dataset.scope = scope;
}

/** Clear the status line if it is about this scope (e.g. a portfolio error once the portfolio loads). */
function clearError(scope) {
  if (ui.feedError.dataset.scope !== scope) return;
  state.lastError = null;
  ui.feedError.textContent = '';
  ui.feedError.dataset.kind = '';
  ui.feedError.dataset.scope = '';
}

function renderInfo() {
  const parts = [];
  if (state.lastHeartbeat) parts.push(`hb ${fmt.clock(state.lastHeartbeat)}`);
  parts.push(`gaps ${feed.stats.gaps}`);
  parts.push(`reconnects ${feed.stats.reconnects}`);
  ui.feedInfo.textContent = parts.join(' · ');
}

// ---------------------------------------------------------------------------------------------
// Connection state

function renderConnection(s) {
  ui.connState.textContent = s;
  ui.conn.dataset.state = s;
  document.body.classList.toggle('offline', s !== 'live');
  if (s !== 'live') {
    // Data on screen is from the previous connection until the re-snapshot arrives.
    ui.bookPanel.classList.add('stale');
    ui.tapePanel.classList.add('stale');
    ui.pfPanel.classList.add('stale');
    // "Live" would be a false claim until the portfolio's next snapshot.
    if (ui.pfStatus.classList.contains('ok')) setPfStatus(`Reconnecting: ${state.portfolio}`, '');
  }
  renderInfo();
}

// ---------------------------------------------------------------------------------------------
// Symbol picker and ticker

function optionLabel(symbol) {
  const status = marketStatusOf(state.instruments.get(symbol));
  return status ? `${symbol} (${status})` : symbol;
}

function renderSymbolOptions() {
  const symbols = [...state.instruments.keys()].sort(fmt.bySymbol);
  const current = [...ui.select.options].map((o) => [o.value, o.textContent]);
  if (symbols.length === current.length && symbols.every((s, i) => s === current[i][0] && optionLabel(s) === current[i][1])) return;
  ui.select.replaceChildren(...symbols.map((s) => {
    const opt = el('option', null, optionLabel(s));
    opt.value = s;
    return opt;
  }));
  if (state.symbol) ui.select.value = state.symbol;
  const ticketSymbol = ui.ticketSymbol.value || state.symbol;
  ui.ticketSymbol.replaceChildren(...symbols.map((s) => Object.assign(el('option', null, s), { value: s })));
  if (ticketSymbol) ui.ticketSymbol.value = ticketSymbol;
}

function chooseInitialSymbol() {
  const candidates = [state.wantedSymbol, local.get(LS_SYMBOL)];
  for (const c of candidates) {
    if (c && state.instruments.has(c)) return c;
  }
  if (state.wantedSymbol) showError(`UNKNOWN_SYMBOL: ${state.wantedSymbol} is not an instrument`);
  return [...state.instruments.keys()].sort(fmt.bySymbol)[0] || null;
}

function selectSymbol(symbol, { remember = false } = {}) {
  if (!symbol || symbol === state.symbol) return;
  if (state.symbol) {
    feed.unsubscribe(`book:${state.symbol}`);
    feed.unsubscribe(`trades:${state.symbol}`);
    feed.unsubscribe(`bars:${state.symbol}`);
  }
  state.symbol = symbol;
  state.wantedSymbol = symbol;
  state.book = null;
  state.trades = [];
  state.tradeIds = new Set();
  ui.select.value = symbol;
  ui.ticketSymbol.value = symbol;
  ui.bookSymbol.textContent = symbol;
  document.title = `${symbol} · Paper Desk`;
  if (remember) {
    local.set(LS_SYMBOL, symbol);
    const url = new URL(location.href);
    url.searchParams.set('symbol', symbol);
    history.replaceState(null, '', url);
  }
  renderBook();
  renderTape();
  chart.clear();
  state.bars = [];
  candles?.clear();
  renderChartMode();
  const inst = state.instruments.get(symbol);
  if (inst) {
    addRefPoint(inst.reference_price);
    renderQuote(inst);
  }
  renderWatchlist();
  ui.bookPanel.classList.add('stale');
  ui.tapePanel.classList.add('stale');
  feed.subscribe(`book:${symbol}`);
  feed.subscribe(`trades:${symbol}`);
  feed.subscribe(`bars:${symbol}`);
}

function addRefPoint(value, t = Date.now()) {
  const p = fmt.toNumber(value);
  if (p !== null) chart.add('ref', t, p, fmt.price(value));
}

/** `stale` or `closed`, or null for a live price (or a server that does not say). */
function marketStatusOf(inst) {
  const status = inst?.market_status;
  return status === 'stale' || status === 'closed' ? status : null;
}

const STATUS_TITLES = {
  stale: 'stale: the price source has sent nothing for a while',
  closed: 'closed: outside the trading session',
};

function marketBadge(status) {
  const badge = el('span', 'market-status', status);
  badge.dataset.status = status;
  badge.title = STATUS_TITLES[status];
  return badge;
}

function renderQuote(inst) {
  const status = marketStatusOf(inst);
  ui.symbolMarket.hidden = !status;
  ui.symbolMarket.textContent = status ?? '';
  ui.symbolMarket.dataset.status = status ?? '';
  ui.symbolMarket.title = status ? STATUS_TITLES[status] : '';
  ui.quoteBid.textContent = fmt.price(inst?.best_bid);
  ui.quoteAsk.textContent = fmt.price(inst?.best_ask);
  ui.quoteLast.textContent = fmt.price(inst?.last_price);
  ui.quoteRef.textContent = fmt.price(inst?.reference_price);
}

function onTicker(data, isSnapshot) {
  const list = Array.isArray(data.instruments) ? data.instruments : [];
  if (isSnapshot) state.instruments = new Map();
  for (const inst of list) {
    if (!inst || typeof inst.symbol !== 'string') continue;
    const prev = state.instruments.get(inst.symbol) || {};
    state.instruments.set(inst.symbol, { ...prev, ...inst });
  }
  renderSymbolOptions();
  if (!state.symbol || (isSnapshot && !state.instruments.has(state.symbol))) {
    selectSymbol(chooseInitialSymbol());
  } else {
    const inst = state.instruments.get(state.symbol);
    if (inst && list.some((i) => i && i.symbol === state.symbol)) {
      addRefPoint(inst.reference_price);
      renderQuote(inst);
    }
  }
  renderWatchlist();
}

function renderWatchlist() {
  const rows = [...state.instruments.values()]
    .sort((a, b) => fmt.bySymbol(a.symbol, b.symbol))
    .map((inst) => {
      const tr = el('tr', inst.symbol === state.symbol ? 'current' : '');
      tr.dataset.symbol = inst.symbol;
      const status = marketStatusOf(inst);
      tr.dataset.marketStatus = status ?? 'live';
      const sym = td(inst.symbol, 'sym');
      if (status) sym.append(marketBadge(status));
      tr.append(
        sym,
        td(fmt.price(inst.best_bid), 'r bid'),
        td(fmt.price(inst.best_ask), 'r ask'),
        td(fmt.price(inst.last_price), 'r last'),
        td(fmt.price(inst.reference_price), 'r ref'),
      );
      return tr;
    });
  if (!rows.length) {
    const tr = el('tr');
    const cell = td('no instruments yet', 'empty');
    cell.colSpan = 5;
    tr.append(cell);
    rows.push(tr);
  }
  ui.watchBody.replaceChildren(...rows);
}

// ---------------------------------------------------------------------------------------------
// Order book ladder

function ladderRow(level, best, maxSize) {
  const row = el('div', best ? 'lrow best' : 'lrow');
  row.setAttribute('role', 'listitem');
  row.dataset.price = String(level.price);
  row.dataset.quantity = String(level.quantity);
  row.dataset.orders = String(level.orders ?? '');
  const depth = el('div', 'depth');
  const size = Number(level.quantity) || 0;
  depth.style.width = `${maxSize > 0 ? Math.max(1, Math.round((size / maxSize) * 100)) : 0}%`;
  row.append(
    depth,
    el('span', 'px', fmt.price(level.price)),
    el('span', 'sz', fmt.qty(level.quantity)),
    el('span', 'ord', level.orders ?? ''),
  );
  return row;
}

function renderBook() {
  const book = state.book;
  const bids = Array.isArray(book?.bids) ? book.bids : [];
  const asks = Array.isArray(book?.asks) ? book.asks : [];
  const maxSize = Math.max(0, ...bids.map((l) => Number(l.quantity) || 0), ...asks.map((l) => Number(l.quantity) || 0));

  // Asks: best (lowest) next to the spread, so the highest is on top.
  const askRows = asks.map((lvl, i) => ladderRow(lvl, i === 0, maxSize)).reverse();
  const bidRows = bids.map((lvl, i) => ladderRow(lvl, i === 0, maxSize));
  ui.asks.replaceChildren(...(askRows.length ? askRows : [el('div', 'side-empty', book ? 'no asks' : '')]));
  ui.bids.replaceChildren(...(bidRows.length ? bidRows : [el('div', 'side-empty', book ? 'no bids' : '')]));
  ui.asks.dataset.levels = String(asks.length);
  ui.bids.dataset.levels = String(bids.length);

  const bestBid = bids[0]?.price;
  const bestAsk = asks[0]?.price;
  const spread = bestBid !== undefined && bestAsk !== undefined ? fmt.subtract(bestAsk, bestBid) : null;
  ui.spread.textContent = spread === null ? '—' : `${spread}  ${fmt.spreadBps(bestBid, bestAsk)}`.trim();
  ui.spread.dataset.value = spread ?? '';
  ui.bookLast.textContent = fmt.price(book?.last_price);
  ui.bookRef.textContent = fmt.price(book?.reference_price);
}

function onBook(data) {
  state.book = data;
  renderBook();
  if (data.reference_price !== undefined) addRefPoint(data.reference_price);
}

// ---------------------------------------------------------------------------------------------
// Trades tape

function tapeRow(trade, fresh) {
  const side = String(trade.aggressor_side || '').toUpperCase();
  const cls = ['trow', side === 'BUY' ? 'buy' : side === 'SELL' ? 'sell' : '', fresh ? 'fresh' : ''].filter(Boolean).join(' ');
  const row = el('div', cls);
  row.setAttribute('role', 'listitem');
  row.dataset.tradeId = String(trade.trade_id);
  row.dataset.price = String(trade.price);
  row.dataset.quantity = String(trade.quantity);
  row.dataset.side = side;
  row.append(
    Object.assign(el('span', 't', fmt.tapeTime(trade.executed_at)), { title: new Date(trade.executed_at).toLocaleString() }),
    el('span', 'px', fmt.price(trade.price)),
    el('span', 'q', fmt.qty(trade.quantity)),
    el('span', 'sd', side === 'BUY' ? 'BUY' : side === 'SELL' ? 'SELL' : side),
  );
  return row;
}

function renderTape() {
  ui.tape.replaceChildren(...state.trades.map((t) => tapeRow(t, false)));
  ui.tapeCount.textContent = state.trades.length ? `${state.trades.length}` : '';
}

function onTradesSnapshot(data) {
  const trades = (Array.isArray(data.trades) ? data.trades : []).filter((t) => t && t.trade_id !== undefined);
  state.trades = trades.slice(0, MAX_TAPE_ROWS);
  state.tradeIds = new Set(state.trades.map((t) => String(t.trade_id)));
  renderTape();
  candles?.markTrades(state.trades);
  const now = Date.now();
  chart.set(
    'last',
    state.trades
      .slice()
      .reverse()
      .map((t) => ({ t: Math.min(now, fmt.epochMs(t.executed_at, now)), p: fmt.toNumber(t.price), text: fmt.price(t.price) })),
  );
}

function onTradesUpdate(data) {
  const trades = Array.isArray(data.trades) ? data.trades : [];
  const now = Date.now();
  for (const t of trades) {
    // Oldest first: each new trade goes on top.
    if (!t || t.trade_id === undefined || state.tradeIds.has(String(t.trade_id))) continue;
    state.tradeIds.add(String(t.trade_id));
    state.trades.unshift(t);
    ui.tape.prepend(tapeRow(t, true));
    const p = fmt.toNumber(t.price);
    if (p !== null) chart.add('last', Math.min(now, fmt.epochMs(t.executed_at, now)), p, fmt.price(t.price));
  }
  candles?.markTrades(trades);
  while (state.trades.length > MAX_TAPE_ROWS) {
    const dropped = state.trades.pop();
    state.tradeIds.delete(String(dropped.trade_id));
    ui.tape.lastElementChild?.remove();
  }
  ui.tapeCount.textContent = state.trades.length ? `${state.trades.length}` : '';
}

// ---------------------------------------------------------------------------------------------
// Candles

function onBars(data, isSnapshot) {
  const bars = Array.isArray(data.bars) ? data.bars : [];
  state.bars = mergeBars(isSnapshot ? [] : state.bars, bars, MAX_BARS);
  if (isSnapshot) candles?.set(state.bars);
  else candles?.update(bars);
  // Trades heard before the bars are marked once there is a bar to mark them on.
  candles?.markTrades(state.trades);
  renderChartMode();
}

// ---------------------------------------------------------------------------------------------
// Portfolio panel

function setPfStatus(text, kind = '') {
  ui.pfStatus.textContent = text;
  ui.pfStatus.classList.remove('ok', 'bad');
  if (kind) ui.pfStatus.classList.add(kind);
}

function renderSummary() {
  const s = state.summary;
  if (!s) return;
  ui.pfName.textContent = s.name ?? state.portfolio ?? '';
  setNum(ui.pfCash, s.cash);
  setNum(ui.pfEquity, s.equity);
  setNum(ui.pfPnl, s.total_pnl, { signed: true, colour: true });
  setNum(ui.pfUnrealized, s.unrealized_pnl, { signed: true, colour: true });
  setNum(ui.pfRealized, s.realized_pnl, { signed: true, colour: true });
  setNum(ui.pfMarketValue, s.market_value);
  setNum(ui.pfGmv, s.gmv);
  ui.pfOpenOrders.textContent = s.open_orders === undefined ? '—' : fmt.qty(s.open_orders);
  ui.pfAsOf.textContent = s.as_of ? `${fmt.clock(s.as_of)} (${s.as_of})` : '—';

  const positions = Array.isArray(s.positions) ? s.positions : [];
  const rows = positions
    .slice()
    .sort((a, b) => fmt.bySymbol(a.symbol, b.symbol))
    .map((p) => {
      const tr = el('tr', Number(p.quantity) === 0 ? 'flat' : '');
      tr.dataset.symbol = String(p.symbol);
      tr.dataset.quantity = String(p.quantity);
      tr.append(
        td(p.symbol, 'sym'),
        td(fmt.qty(p.quantity), `r ${pnlClass(String(p.quantity))}`),
        td(fmt.price(p.avg_cost), 'r'),
        td(fmt.price(p.reference_price), 'r'),
        td(fmt.money(p.market_value), 'r'),
        td(fmt.money(p.unrealized_pnl, { signed: true }), `r ${pnlClass(p.unrealized_pnl)}`),
        td(fmt.money(p.realized_pnl, { signed: true }), `r ${pnlClass(p.realized_pnl)}`),
      );
      return tr;
    });
  if (!rows.length) {
    const tr = el('tr');
    const cell = td('no positions', 'empty');
    cell.colSpan = 7;
    tr.append(cell);
    rows.push(tr);
  }
  ui.positionsBody.replaceChildren(...rows);
}

function orderPrice(o) {
  const has = (v) => v !== null && v !== undefined && v !== '';
  const parts = [];
  if (has(o.stop_price)) parts.push(`stp ${fmt.price(o.stop_price)}`);
  if (has(o.limit_price)) parts.push(fmt.price(o.limit_price));
  return parts.length ? parts.join(' ') : 'MKT';
}

function renderOrders() {
  const orders = [...state.orders.values()].sort((a, b) => {
    const ta = String(a.created_at || '');
    const tb = String(b.created_at || '');
    if (ta !== tb) return ta < tb ? 1 : -1;
    return String(b.id).localeCompare(String(a.id), 'en', { numeric: true });
  });
  const rows = orders.map((o) => {
    const tr = el('tr');
    tr.dataset.orderId = String(o.id);
    tr.dataset.status = String(o.status);
    const side = String(o.side || '').toUpperCase();
    const status = o.triggered === false ? `${o.status} · waiting` : o.status;
    tr.append(
      td(o.id),
      td(o.symbol, 'sym'),
      td(side, side === 'BUY' ? 'side-buy' : side === 'SELL' ? 'side-sell' : ''),
      td(o.type),
      td(`${fmt.qty(o.filled_quantity ?? 0)} / ${fmt.qty(o.quantity)}`, 'r'),
      td(orderPrice(o), 'r'),
      td(o.time_in_force),
      td(status),
    );
    const cancel = el('button', 'ghost cancel', 'Cancel');
    cancel.type = 'button';
    cancel.dataset.cancel = String(o.id);
    cancel.title = `Cancel order ${o.id}`;
    const cell = td('', 'r');
    cell.append(cancel);
    tr.append(cell);
    return tr;
  });
  if (!rows.length) {
    const tr = el('tr');
    const cell = td('no open orders', 'empty');
    cell.colSpan = 9;
    tr.append(cell);
    rows.push(tr);
  }
  ui.ordersBody.replaceChildren(...rows);
}

function onPortfolio(data) {
  state.summary = data;
  renderSummary();
  ui.pfPanel.hidden = false;
  ui.pfPanel.classList.remove('stale');
  setPfStatus(`Live: ${data.name ?? state.portfolio}`, 'ok');
  clearError('portfolio');
}

function onOrdersSnapshot(data) {
  state.orders = new Map();
  for (const o of Array.isArray(data.orders) ? data.orders : []) {
    if (o && o.id !== undefined && OPEN_STATUSES.has(o.status)) state.orders.set(String(o.id), o);
  }
  renderOrders();
}

function onOrdersUpdate(data) {
  for (const o of Array.isArray(data.orders) ? data.orders : []) {
    if (!o || o.id === undefined) continue;
    if (OPEN_STATUSES.has(o.status)) state.orders.set(String(o.id), o);
    else state.orders.delete(String(o.id));
  }
  renderOrders();
}

function unsubscribePortfolio() {
  if (!state.portfolio) return;
  feed.unsubscribe(`portfolio:${state.portfolio}`);
  feed.unsubscribe(`orders:${state.portfolio}`);
}

function connectPortfolio(key, name) {
  unsubscribePortfolio();
  state.portfolio = name;
  state.summary = null;
  state.orders = new Map();
  ui.pfPanel.hidden = true;
  ui.pfName.textContent = name;
  ui.pfDisconnect.hidden = false;
  renderOrders();
  setPfStatus(`Authenticating for ${name}…`);
  feed.setApiKey(key);
  feed.subscribe(`portfolio:${name}`);
  feed.subscribe(`orders:${name}`);
}

function onConnectClick() {
  const typed = ui.keyInput.value.trim();
  const key = typed || session.get(SS_API_KEY);
  const name = ui.pfInput.value.trim();
  if (!key || !name) {
    setPfStatus('Enter an API key and a portfolio name.', 'bad');
    return;
  }
  session.set(SS_API_KEY, key);
  session.set(SS_PORTFOLIO, name);
  local.set(LS_LAST_PORTFOLIO, name);
  ui.keyInput.value = ''; // do not leave the key in the DOM
  ui.keyInput.placeholder = 'key saved in tab';
  connectPortfolio(key, name);
}

function forgetKey() {
  unsubscribePortfolio();
  session.remove(SS_API_KEY);
  session.remove(SS_PORTFOLIO);
  state.portfolio = null;
  state.summary = null;
  state.orders = new Map();
  ui.pfPanel.hidden = true;
  ui.pfDisconnect.hidden = true;
  ui.pfName.textContent = '';
  ui.keyInput.placeholder = 'API key (read scope)';
  setPfStatus('Key forgotten.');
  feed.setApiKey(null);
}

// ---------------------------------------------------------------------------------------------
// Order ticket and cancel

function setTicketStatus(text, kind = '') {
  ui.ticketStatus.textContent = text;
  ui.ticketStatus.classList.remove('ok', 'bad');
  if (kind) ui.ticketStatus.classList.add(kind);
  ui.ticketStatus.dataset.kind = kind;
}

function tradingKey() {
  const key = session.get(SS_API_KEY);
  if (!key || !state.portfolio) setTicketStatus('Enter an API key and a portfolio first.', 'bad');
  return key && state.portfolio ? key : null;
}

async function onTicketSubmit(ev) {
  ev.preventDefault();
  const key = tradingKey();
  if (!key) return;
  const fields = {
    symbol: ui.ticketSymbol.value,
    side: ui.ticketSide.value,
    type: ui.ticketType.value,
    quantity: ui.ticketQuantity.value,
    limitPrice: ui.ticketPrice.value,
    portfolio: state.portfolio,
  };
  ui.ticketSubmit.disabled = true;
  setTicketStatus(`Placing ${fields.side} ${fields.quantity} ${fields.symbol}…`);
  try {
    const answer = await placeOrder(key, fields);
    if (!answer.ok) return setTicketStatus(`${answer.code}: ${answer.message}`, 'bad');
    const o = answer.data;
    setTicketStatus(`Order ${o.id} ${o.status}: ${o.side} ${fmt.qty(o.quantity)} ${o.symbol} ${o.limit_price ? `@ ${fmt.price(o.limit_price)}` : 'at market'}`, 'ok');
    ui.ticketStatus.dataset.orderId = String(o.id);
  } finally {
    ui.ticketSubmit.disabled = false;
  }
}

async function onCancelClick(ev) {
  const button = ev.target instanceof Element ? ev.target.closest('button[data-cancel]') : null;
  if (!(button instanceof HTMLButtonElement)) return;
  const key = tradingKey();
  if (!key) return;
  const id = button.dataset.cancel;
  button.disabled = true;
  const answer = await cancelOrder(key, id);
  // The row goes when the orders channel says the order is canceled; on refusal it stays, usable.
  if (!answer.ok) {
    button.disabled = false;
    return setTicketStatus(`${answer.code}: ${answer.message}`, 'bad');
  }
  setTicketStatus(`Order ${id} canceled.`, 'ok');
}

function renderTicketType() {
  ui.ticket.dataset.type = ui.ticketType.value;
}

ui.ticket.addEventListener('submit', onTicketSubmit);
ui.ticketType.addEventListener('change', renderTicketType);
ui.ordersBody.addEventListener('click', onCancelClick);
renderTicketType();

ui.pfConnect.addEventListener('click', onConnectClick);
ui.pfDisconnect.addEventListener('click', forgetKey);
for (const input of [ui.keyInput, ui.pfInput]) {
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      onConnectClick();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Feed wiring

function route(channel, data, isSnapshot) {
  if (channel === 'ticker') return onTicker(data, isSnapshot);
  if (state.symbol && channel === `book:${state.symbol}`) {
    if (isSnapshot) ui.bookPanel.classList.remove('stale');
    return onBook(data);
  }
  if (state.symbol && channel === `trades:${state.symbol}`) {
    if (isSnapshot) {
      ui.tapePanel.classList.remove('stale');
      return onTradesSnapshot(data);
    }
    return onTradesUpdate(data);
  }
  if (state.symbol && channel === `bars:${state.symbol}`) return onBars(data, isSnapshot);
  if (state.portfolio && channel === `portfolio:${state.portfolio}`) return onPortfolio(data);
  if (state.portfolio && channel === `orders:${state.portfolio}`) {
    return isSnapshot ? onOrdersSnapshot(data) : onOrdersUpdate(data);
  }
  return undefined;
}

feed.on('state', renderConnection);
feed.on('snapshot', ({ channel, data }) => route(channel, data, true));
feed.on('update', ({ channel, data }) => route(channel, data, false));
feed.on('heartbeat', () => {
  state.lastHeartbeat = Date.now();
  renderInfo();
});
feed.on('gap', ({ channel }) => {
  showError(`seq gap on ${channel}: re-snapshot`, 'info');
  renderInfo();
});
feed.on('authenticated', ({ scopes }) => {
  if (state.portfolio) setPfStatus(`Authenticated (${scopes.join(', ') || 'no scopes'}); loading ${state.portfolio}…`);
});
feed.on('feedError', ({ code, message, op, channel }) => {
  // A server without bars: the line chart it is, nothing to report.
  if (channel && channel.startsWith('bars:')) {
    if (channel === `bars:${state.symbol}`) {
      state.bars = [];
      candles?.clear();
      renderChartMode();
    }
    return;
  }
  const where = channel ? ` [${channel}]` : op ? ` [${op}]` : '';
  const isPortfolioChannel = channel && state.portfolio && (channel === `portfolio:${state.portfolio}` || channel === `orders:${state.portfolio}`);
  const scope = op === 'auth' || code === 'INVALID_API_KEY' || feed.isPrivate(channel || '') ? 'portfolio' : '';
  showError(`${code}${where}${message ? `: ${message}` : ''}`, 'error', scope);
  if (op === 'auth' || code === 'INVALID_API_KEY') {
    session.remove(SS_API_KEY);
    ui.pfPanel.hidden = true;
    setPfStatus(`${code}: the key was not accepted.`, 'bad');
    unsubscribePortfolio();
    feed.setApiKey(null);
  } else if (isPortfolioChannel) {
    ui.pfPanel.hidden = true;
    setPfStatus(`${code}${message ? `: ${message}` : ''}`, 'bad');
    // Both private channels go together.
    unsubscribePortfolio();
  }
});
feed.on('close', ({ code, reason, wasOpen }) => {
  if (wasOpen && reason && reason !== 'api key changed') showError(`connection closed${code ? ` (${code})` : ''}: ${reason}`, 'info');
  renderInfo();
});
feed.on('internalError', ({ message }) => showError(`dashboard error: ${message}`));

ui.select.addEventListener('change', () => selectSymbol(ui.select.value, { remember: true }));
ui.watchBody.addEventListener('click', (ev) => {
  const target = ev.target instanceof Element ? ev.target.closest('tr[data-symbol]') : null;
  if (target instanceof HTMLElement && target.dataset.symbol) selectSymbol(target.dataset.symbol, { remember: true });
});

// ---------------------------------------------------------------------------------------------
// Start

renderConnection('connecting');
renderBook();
renderWatchlist();
renderOrders();
ui.pfInput.value = session.get(SS_PORTFOLIO) || local.get(LS_LAST_PORTFOLIO) || '';
feed.subscribe('ticker');
const savedKey = session.get(SS_API_KEY);
const savedPortfolio = session.get(SS_PORTFOLIO);
if (savedKey && savedPortfolio) {
  ui.keyInput.placeholder = 'key saved in tab';
  connectPortfolio(savedKey, savedPortfolio);
}
feed.start();
