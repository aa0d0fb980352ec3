/** What public market data must never show: who traded (portfolio names) and which orders (their ids). */
export interface Secrets {
  readonly portfolios: readonly string[];
  readonly orderIds: readonly string[];
  /** The trades the data may show: a trade id is public. */
  readonly tradeIds: readonly string[];
}

/**
 * Every place in `value` (a JSON answer or frame) that gives a party away, by path. A field named
 * for a portfolio, an order or a user is a leak whatever it holds; a string holding a portfolio's
 * name is one wherever it is. Ids travel as strings of digits and prices always carry a decimal
 * point, so a string of digits is an id: only a `trade_id` of a known trade may be one.
 */
export function leaksOf(value: unknown, secrets: Secrets, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaksOf(v, secrets, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) => {
      const at = `${path}.${key}`;
      const named = /portfolio|order_id|^user/i.test(key) ? [`${at}: a field that names a party`] : [];
      return [...named, ...leaksOf(v, secrets, at)];
    });
  }
  if (typeof value !== 'string') return [];
  const leaks = secrets.portfolios.filter((name) => value.includes(name)).map((name) => `${path}: names portfolio ${name}`);
  if (/^\d+$/.test(value)) {
    const isTradeId = path.endsWith('.trade_id') && secrets.tradeIds.includes(value);
    if (!isTradeId) leaks.push(`${path}: ${value} is an id${secrets.orderIds.includes(value) ? ' of an order' : ''}, not a trade_id`);
  }
  return leaks;
}
