import { priceUnits, type Bar, type Quote, type TradePrint } from '../market-data.js';

/**
 * The replay file's CSV: trades (`time,symbol,price,size`, optional `bid,ask`) or bars
 * (`time,symbol,open,high,low,close,volume`), told apart by the header line. Columns are found by
 * name, so their order is free and extra columns (exchange, conditions...) are ignored. Fields are
 * plain (no quoting): none of these columns ever holds a comma.
 */
export type CsvLayout =
  | { readonly kind: 'trades'; readonly width: number; readonly columns: Record<'time' | 'symbol' | 'price' | 'size', number>; readonly bid: number | null; readonly ask: number | null }
  | { readonly kind: 'bars'; readonly width: number; readonly columns: Record<'time' | 'symbol' | 'open' | 'high' | 'low' | 'close' | 'volume', number> };

/** One readable row, as the sink will get it. `at` is the row's moment on the file's clock (ms). */
export interface ReplayRow {
  readonly symbol: string;
  readonly at: number;
  readonly bar: Bar | null;
  readonly print: TradePrint;
  readonly quote: Quote | null;
}

export const EXPECTED_HEADERS = 'time,symbol,price,size[,bid,ask] (trades) or time,symbol,open,high,low,close,volume (bars)';

const TRADE_COLUMNS = ['time', 'symbol', 'price', 'size'] as const;
const BAR_COLUMNS = ['time', 'symbol', 'open', 'high', 'low', 'close', 'volume'] as const;

/** The layout a header line announces, or null when it is neither kind. */
export function readHeader(line: string): CsvLayout | null {
  const names = line.split(',').map((name) => name.trim().toLowerCase());
  const at = (name: string): number | null => {
    const index = names.indexOf(name);
    return index < 0 ? null : index;
  };
  const find = <K extends string>(wanted: readonly K[]): Record<K, number> | null => {
    const columns = {} as Record<K, number>;
    for (const name of wanted) {
      const index = at(name);
      if (index === null) return null;
      columns[name] = index;
    }
    return columns;
  };
  const bars = find(BAR_COLUMNS);
  if (bars) return { kind: 'bars', width: names.length, columns: bars };
  const trades = find(TRADE_COLUMNS);
  // bid and ask come as a pair: one side alone is more likely a typo than a one-sided feed.
  if (!trades || (at('bid') === null) !== (at('ask') === null)) return null;
  return { kind: 'trades', width: names.length, columns: trades, bid: at('bid'), ask: at('ask') };
}

/**
 * A data line as a row, or the reason it cannot be read (without its line number: the reader adds
 * it). `barMs` is the bars' length: a bar is only known once it closes, so its moment is its end.
 */
export function readRow(layout: CsvLayout, line: string, barMs: number): ReplayRow | string {
  const fields = line.split(',');
  if (fields.length !== layout.width) return `expected ${layout.width} fields, found ${fields.length}`;
  const field = (index: number): string => fields[index]?.trim() ?? '';
  const symbol = field(layout.columns.symbol);
  if (!symbol) return 'empty symbol';
  const time = isoTime(field(layout.columns.time));
  if (time === null) return `time ${shown(field(layout.columns.time))} is not an ISO 8601 time with an offset`;

  if (layout.kind === 'bars') {
    const { open: o, high: h, low: l, close: c, volume: v } = layout.columns;
    const open = priceUnits(field(o));
    const high = priceUnits(field(h));
    const low = priceUnits(field(l));
    const close = priceUnits(field(c));
    if (open === null) return `open ${shown(field(o))} is not a positive decimal`;
    if (high === null) return `high ${shown(field(h))} is not a positive decimal`;
    if (low === null) return `low ${shown(field(l))} is not a positive decimal`;
    if (close === null) return `close ${shown(field(c))} is not a positive decimal`;
    // Catches swapped columns, which would otherwise replay as a plausible but wrong tape.
    if (low > Math.min(open, close) || high < Math.max(open, close)) return 'bar prices out of order (low <= open, close <= high)';
    const volume = field(v);
    if (!isQuantity(volume, true)) return `volume ${shown(volume)} is not a decimal`;
    const end = time + barMs;
    return {
      symbol,
      at: end,
      bar: { symbol, time: new Date(time), open, high, low, close, volume },
      print: { symbol, price: close, size: volume, time: new Date(end) },
      quote: null,
    };
  }

  const price = priceUnits(field(layout.columns.price));
  if (price === null) return `price ${shown(field(layout.columns.price))} is not a positive decimal`;
  const size = field(layout.columns.size);
  if (!isQuantity(size, false)) return `size ${shown(size)} is not a positive decimal`;
  let quote: Quote | null = null;
  if (layout.bid !== null && layout.ask !== null) {
    // An empty side is an empty book side (null), as the port has it; both empty means no quote.
    const bidText = field(layout.bid);
    const askText = field(layout.ask);
    const bid = bidText ? priceUnits(bidText) : null;
    const ask = askText ? priceUnits(askText) : null;
    if (bidText && bid === null) return `bid ${shown(bidText)} is not a positive decimal`;
    if (askText && ask === null) return `ask ${shown(askText)} is not a positive decimal`;
    if (bidText || askText) quote = { symbol, bid, ask, time: new Date(time) };
  }
  return { symbol, at: time, bar: null, print: { symbol, price, size, time: quote?.time ?? new Date(time) }, quote };
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,9}))?)?(?:Z|([+-])([01]\d|2[0-3]):([0-5]\d))$/;

/**
 * ISO 8601 with Z or an offset, as epoch ms (sub-millisecond digits are dropped: Date holds ms). A
 * time without an offset is refused: it would silently mean the server's own time zone. Computed from
 * the fields rather than by Date.parse: it is the hot path of a large file, and Date.parse would roll
 * 2024-02-30 over to March 1 where a day that does not exist is a bad row.
 */
export function isoTime(text: string): number | null {
  const fast = sameMinute(text);
  if (fast !== null) return fast;
  const m = ISO_TIME.exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.UTC reads years 0-99 as 19xx; no market data is that old anyway.
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const offsetMinutes = m[8] ? (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) : 0;
  const minute = Date.UTC(year, month - 1, day, Number(m[4]), Number(m[5])) - offsetMinutes * 60_000;
  if (text.length === 24 && !m[8]) lastMinute = { prefix: text.slice(0, 17), at: minute };
  return minute + Number(m[6] ?? 0) * 1000 + ms;
}

/**
 * The minute (`YYYY-MM-DDTHH:MM:`, UTC) of the last `...:SS.mmmZ` time read by the pattern: a file's
 * lines come in time order, so most share it, and only their seconds and milliseconds need reading.
 */
let lastMinute = { prefix: '', at: 0 };

/** A `YYYY-MM-DDTHH:MM:SS.mmmZ` time in the minute of the last one, else null (read it in full). */
function sameMinute(text: string): number | null {
  if (text.length !== 24 || lastMinute.prefix === '' || !text.startsWith(lastMinute.prefix)) return null;
  if (text.charCodeAt(19) !== 46 /* '.' */ || text.charCodeAt(23) !== 90 /* 'Z' */) return null;
  const s1 = text.charCodeAt(17) - 48;
  const s2 = text.charCodeAt(18) - 48;
  const m1 = text.charCodeAt(20) - 48;
  const m2 = text.charCodeAt(21) - 48;
  const m3 = text.charCodeAt(22) - 48;
  if (s1 < 0 || s1 > 5 || s2 < 0 || s2 > 9 || m1 < 0 || m1 > 9 || m2 < 0 || m2 > 9 || m3 < 0 || m3 > 9) return null;
  return lastMinute.at + (s1 * 10 + s2) * 1000 + m1 * 100 + m2 * 10 + m3;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const QUANTITY = /^\d{1,15}(?:\.\d{1,18})?$/;

function isQuantity(text: string, zeroAllowed: boolean): boolean {
  return QUANTITY.test(text) && (zeroAllowed || /[1-9]/.test(text));
}

/** A field echoed in a reason: quoted and escaped, cut short, so a bad file cannot flood or garble the log. */
function shown(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
