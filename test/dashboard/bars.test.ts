// The candle chart's bars: the feed's decimal strings kept as they are, merged by minute, and made
// numbers only for drawing.

import { beforeAll, describe, expect, it } from '@jest/globals';

interface Bar {
  time: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}
// Browser JavaScript without type declarations: imported by a non-literal path, typed here.
interface BarsModule {
  mergeBars(bars: unknown[], incoming: unknown[], max?: number): Bar[];
  toChartBar(bar: unknown): { time: number; open: number; high: number; low: number; close: number; volume: number } | null;
  priceDecimals(bars: unknown[]): number;
  markerBarTime(trade: unknown, bars: unknown[]): number | null;
  tradeMarker(trade: unknown, time: number): { time: number; position: string; shape: string; text: string };
}
const BARS_MODULE_PATH: string = '../../src/dashboard/public/bars.js';
let bars: BarsModule;

beforeAll(async () => {
  bars = (await import(BARS_MODULE_PATH)) as BarsModule;
});

const bar = (minute: number, close: string, volume = '1'): Bar => ({
  time: new Date(Date.UTC(2024, 5, 14, 13, minute)).toISOString(),
  open: '212.10',
  high: '213.00',
  low: '211.00',
  close,
  volume,
});

describe('dashboard bars', () => {
  it('replaces the minute an update changes, appends a new one and keeps them oldest first', () => {
    const snapshot = [bar(30, '212.00'), bar(31, '212.30')];
    const merged = bars.mergeBars(snapshot, [bar(31, '212.45', '3'), bar(32, '212.50')]);
    expect(merged).toEqual([bar(30, '212.00'), bar(31, '212.45', '3'), bar(32, '212.50')]);
    // An out-of-order bar goes in its place; a bar without a time is left out.
    expect(bars.mergeBars(merged, [bar(29, '211.90'), { close: '1' }]).map((b) => b.close)).toEqual(['211.90', '212.00', '212.45', '212.50']);
    // Only the latest `max` are kept.
    expect(bars.mergeBars(merged, [], 2).map((b) => b.close)).toEqual(['212.45', '212.50']);
    expect(snapshot[1].close).toBe('212.30'); // the snapshot itself is not changed
  });

  it('draws a bar in epoch seconds with number prices and volume, and leaves out a bar that is not one', () => {
    expect(bars.toChartBar(bar(30, '212.0001', '10.25'))).toEqual({
      time: Date.UTC(2024, 5, 14, 13, 30) / 1000,
      open: 212.1,
      high: 213,
      low: 211,
      close: 212.0001,
      volume: 10.25,
    });
    expect(bars.toChartBar({ ...bar(30, 'x') })).toBeNull();
    expect(bars.toChartBar({ ...bar(30, '1'), time: 'yesterday' })).toBeNull();
  });

  it("shows as many price decimals as the bars carry, from 2 to 4", () => {
    expect(bars.priceDecimals([bar(30, '212.00')])).toBe(2);
    expect(bars.priceDecimals([bar(30, '212.125')])).toBe(3);
    expect(bars.priceDecimals([bar(30, '0.1234'), bar(31, '1.5')])).toBe(4);
    expect(bars.priceDecimals([])).toBe(2);
  });
});

describe('the desk trades marked on the candles', () => {
  const minute = (m: number) => Date.UTC(2024, 5, 14, 13, m) / 1000;
  const trade = (at: string | undefined, side = 'BUY') => ({ trade_id: '7', price: '212.40', quantity: 10, aggressor_side: side, executed_at: at });
  const drawn = [bar(30, '212.00'), bar(31, '212.30'), bar(33, '212.50')];

  it('go on the bar of their minute, or on the latest bar when newer than the chart (a replay trades on the wall clock)', () => {
    expect(bars.markerBarTime(trade('2024-06-14T13:31:45.500Z'), drawn)).toBe(minute(31));
    expect(bars.markerBarTime(trade('2024-06-14T13:33:00.000Z'), drawn)).toBe(minute(33));
    // A minute the chart has no bar for, inside it or after it, and a time that is not one: the latest bar.
    expect(bars.markerBarTime(trade('2024-06-14T13:32:10Z'), drawn)).toBe(minute(33));
    expect(bars.markerBarTime(trade('2026-12-07T16:39:24Z'), drawn)).toBe(minute(33));
    expect(bars.markerBarTime(trade(undefined), drawn)).toBe(minute(33));
  });

  it('are left off when older than the first bar, or when there is no bar', () => {
    expect(bars.markerBarTime(trade('2024-06-14T13:29:59Z'), drawn)).toBeNull();
    expect(bars.markerBarTime(trade('2024-06-14T13:31:00Z'), [])).toBeNull();
  });

  it('point up under the bar for a buyer lifting the offer, down above it for a seller, with the feed`s own decimals', () => {
    expect(bars.tradeMarker(trade('2024-06-14T13:31:00Z'), minute(31))).toMatchObject({ time: minute(31), position: 'belowBar', shape: 'arrowUp', text: 'B 10 @ 212.40' });
    expect(bars.tradeMarker(trade('2024-06-14T13:31:00Z', 'SELL'), minute(31))).toMatchObject({ position: 'aboveBar', shape: 'arrowDown', text: 'S 10 @ 212.40' });
  });
});
