// Display helpers for the dashboard. Prices and money arrive as exact decimal strings ("175.25");
// they are formatted as strings (never through floating point) so the page shows exactly what the
// OMS holds. Floats are used only for geometry (chart, depth bars) and ratios.

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const SCALE_DIGITS = 8;
const SCALE = 10n ** BigInt(SCALE_DIGITS);

/** Parse a decimal string or number into a BigInt scaled by 10^8; null when it is not a decimal. */
export function toScaled(value) {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'number' ? (Number.isFinite(value) ? value.toFixed(SCALE_DIGITS) : '') : String(value).trim();
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return null;
  const frac = (m[3] ?? '').slice(0, SCALE_DIGITS).padEnd(SCALE_DIGITS, '0');
  const magnitude = BigInt(m[2] || '0') * SCALE + BigInt(frac || '0');
  return m[1] === '-' ? -magnitude : magnitude;
}

/** A scaled BigInt back to a decimal string with between minDecimals and maxDecimals decimals. */
export function fromScaled(scaled, minDecimals = 2, maxDecimals = 4) {
  const negative = scaled < 0n;
  const abs = negative ? -scaled : scaled;
  // Round half away from zero to maxDecimals.
  const drop = 10n ** BigInt(SCALE_DIGITS - maxDecimals);
  const rounded = (abs + drop / 2n) / drop;
  const unit = 10n ** BigInt(maxDecimals);
  const intPart = (rounded / unit).toString();
  let frac = (rounded % unit).toString().padStart(maxDecimals, '0');
  while (frac.length > minDecimals && frac.endsWith('0')) frac = frac.slice(0, -1);
  const body = frac.length ? `${intPart}.${frac}` : intPart;
  return negative && rounded !== 0n ? `-${body}` : body;
}

/** Sign of a decimal string: -1, 0 or 1 (0 for anything unparseable). */
export function sign(value) {
  const s = toScaled(value);
  if (s === null || s === 0n) return 0;
  return s < 0n ? -1 : 1;
}

function groupThousands(intDigits) {
  return intDigits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A price or amount as given by the OMS, at least two decimals, thousands grouped:
 * "1000000" -> "1,000,000.00", "-12.5" -> "-12.50", null -> "—".
 */
export function money(value, { signed = false } = {}) {
  if (value === null || value === undefined || value === '') return '—';
  const text = typeof value === 'number' ? fromScaled(toScaled(value), 2, 4) : String(value).trim();
  const m = DECIMAL.exec(text);
  if (!m) return text;
  let frac = m[3] ?? '';
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  const intDigits = (m[2] || '0').replace(/^0+(?=\d)/, '');
  const isZero = /^0*$/.test(intDigits) && /^0*$/.test(frac);
  let prefix = m[1] === '-' && !isZero ? '-' : '';
  if (signed && !prefix && !isZero) prefix = '+';
  return `${prefix}${groupThousands(intDigits)}.${frac}`;
}

/** A price without grouping (ladder, tape): "101" -> "101.00". */
export function price(value) {
  if (value === null || value === undefined || value === '') return '—';
  const s = toScaled(value);
  return s === null ? String(value) : fromScaled(s, 2, 4);
}

/** An integer quantity with grouping: 12000 -> "12,000". */
export function qty(value) {
  if (value === null || value === undefined || value === '') return '—';
  const text = String(value).trim();
  const m = /^([+-]?)(\d+)$/.exec(text);
  if (!m) return text;
  const digits = m[2].replace(/^0+(?=\d)/, '');
  return `${m[1] === '-' && digits !== '0' ? '-' : ''}${groupThousands(digits)}`;
}

/** a - b as a decimal string, or null if either is missing. */
export function subtract(a, b) {
  const x = toScaled(a);
  const y = toScaled(b);
  if (x === null || y === null) return null;
  return fromScaled(x - y, 2, 4);
}

/** Spread in basis points of the mid, as a short string ("9.9 bp"), or '' when not computable. */
export function spreadBps(bid, ask) {
  const b = toScaled(bid);
  const a = toScaled(ask);
  if (b === null || a === null || a + b <= 0n) return '';
  const bps = (Number(a - b) / (Number(a + b) / 2)) * 10000;
  return `${bps.toFixed(bps >= 100 ? 0 : 1)} bp`;
}

/** Float for geometry only. */
export function toNumber(value) {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function pad2(n) {
  return n < 10 ? `0${n}` : String(n);
}

/** "HH:MM:SS" in local time from an ISO timestamp or epoch ms; '' when unparseable. */
export function clock(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/**
 * A trade's time for the tape: "HH:MM:SS" when it is from today, else its date "MM-DD" (a tape
 * reloaded the next morning would otherwise show yesterday's trades as if just made).
 */
export function tapeTime(value, now = new Date()) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const today = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return today ? clock(d) : `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** Symbols in reading order: SYM2 before SYM10. */
export function bySymbol(a, b) {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Epoch ms from an ISO timestamp, or the fallback when missing/unparseable. */
export function epochMs(value, fallback) {
  if (value === null || value === undefined) return fallback;
  const t = new Date(value).getTime();
  return Number.isNaN(t) ? fallback : t;
}
