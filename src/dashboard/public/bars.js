// One-minute bars as the bars:SYMBOL channel sends them (docs/feed.md), kept for the candle chart.
// Prices and volumes stay decimal strings here; numbers are made only for drawing (toChartBar).

/** The bars with the incoming ones in their place (same minute replaced), oldest first, the latest `max` kept. */
export function mergeBars(bars, incoming, max = 500) {
  const byTime = new Map();
  for (const b of [...bars, ...incoming]) {
    if (b && typeof b.time === 'string' && Number.isFinite(Date.parse(b.time))) byTime.set(Date.parse(b.time), b);
  }
  const merged = [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
  return merged.length > max ? merged.slice(merged.length - max) : merged;
}

/**
 * A bar as lightweight-charts draws it: time in epoch seconds (UTC), numbers for the prices and the
 * volume. Null for a bar with a price that is not a number, which would break the whole series.
 */
export function toChartBar(bar) {
  const time = Math.floor(Date.parse(bar?.time) / 1000);
  const [open, high, low, close, volume] = ['open', 'high', 'low', 'close', 'volume'].map((k) => Number(bar?.[k] ?? NaN));
  if (![time, open, high, low, close].every(Number.isFinite)) return null;
  return { time, open, high, low, close, volume: Number.isFinite(volume) ? volume : 0 };
}

/** How many decimals the price axis shows: as many as the bars' prices carry (2 to 4). */
export function priceDecimals(bars) {
  let decimals = 2;
  for (const b of bars) {
    for (const k of ['open', 'high', 'low', 'close']) {
      const text = String(b?.[k] ?? '');
      const dot = text.indexOf('.');
      if (dot >= 0) decimals = Math.max(decimals, text.replace(/0+$/, '').length - dot - 1);
    }
  }
  return Math.min(4, decimals);
}
