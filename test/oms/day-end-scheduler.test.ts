import { describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { DayEndScheduler, lastDayEnd } from '../../src/oms/day-end-scheduler.js';

const at = (iso: string) => new Date(iso);

describe('end of day', () => {
  it('lastDayEnd: today\'s once it has passed (or is now), else yesterday\'s', () => {
    expect(lastDayEnd('21:00', at('2026-11-23T22:15:00Z')).toISOString()).toBe('2026-11-23T21:00:00.000Z');
    expect(lastDayEnd('21:00', at('2026-11-23T21:00:00Z')).toISOString()).toBe('2026-11-23T21:00:00.000Z');
    expect(lastDayEnd('21:00', at('2026-11-23T20:59:59Z')).toISOString()).toBe('2026-11-22T21:00:00.000Z');
    expect(lastDayEnd('00:30', at('2026-03-01T00:10:00Z')).toISOString()).toBe('2026-02-28T00:30:00.000Z');
  });

  it('the scheduler waits until the next one', () => {
    const scheduler = (now: string) => new DayEndScheduler('21:00', async () => 0, pino({ enabled: false }), () => at(now));
    expect(scheduler('2026-11-23T20:00:00Z').msUntilNext()).toBe(3600_000);
    expect(scheduler('2026-11-23T21:00:00Z').msUntilNext()).toBe(24 * 3600_000);
    expect(scheduler('2026-11-23T23:00:00Z').msUntilNext()).toBe(22 * 3600_000);
  });
});
