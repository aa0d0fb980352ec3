import { formatUnits } from '../oms/units.js';
import { formatVolume, type MinuteBar } from '../oms/bars.js';
import type { StoredBar } from '../db/bars.repository.js';

/** A bar as the API and the feed show it: its start as ISO 8601, prices and volume as decimal strings. */
export interface BarJson {
  readonly time: string;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: string;
}

export function minuteBarJson(bar: MinuteBar): BarJson {
  return {
    time: new Date(bar.start).toISOString(),
    open: formatUnits(bar.open),
    high: formatUnits(bar.high),
    low: formatUnits(bar.low),
    close: formatUnits(bar.close),
    volume: formatVolume(bar.volume),
  };
}

export function storedBarJson(bar: StoredBar): BarJson {
  return { time: bar.time.toISOString(), open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume };
}
