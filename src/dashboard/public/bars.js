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

/**
 * The bar (its epoch seconds, as the chart has it) a desk trade is marked on: the bar of the trade's
 * minute when the chart has it, else the latest bar, for a trade newer than the chart (a replay's
 * bars run on the file's clock while the desk trades now, on the wall clock). Null for a trade older
 * than the chart's first bar, or with no bars.
 */
export function markerBarTime(trade, bars) {
  const drawn = bars.map(toChartBar).filter(Boolean);
  if (drawn.length === 0) return null;
  const at = Date.parse(trade?.executed_at);
  if (!Number.isFinite(at)) return drawn[drawn.length - 1].time;
  const minute = Math.floor(at / 60_000) * 60;
  if (minute < drawn[0].time) return null;
  const same = drawn.find((b) => b.time === minute);
  return same ? same.time : drawn[drawn.length - 1].time;
}

/** A desk trade as a chart marker on `time`: an arrow on the aggressor's side, its quantity and price as the feed sent them. */
export function tradeMarker(trade, time) {
  const buy = trade.aggressor_side === 'BUY';
  return {
    time,
    position: buy ? 'belowBar' : 'aboveBar',
    shape: buy ? 'arrowUp' : 'arrowDown',
    color: buy ? '#26a69a' : '#ef5350',
    text: `${buy ? 'B' : 'S'} ${trade.quantity} @ ${trade.price}`,
  };
}
