import { describe, expect, it } from '@jest/globals';
import {
  newYorkDate,
  newYorkOffsetMinutes,
  usEquitiesLastClose,
  usEquitiesNextChange,
  usEquitiesOpenAt,
  usEquitiesSessionOn,
} from '../../src/market/us-equities-calendar.js';

/** The session as ISO instants, or null: the whole answer, compared at once. */
const session = (date: string) => {
  const s = usEquitiesSessionOn(date);
  return s && { open: s.open.toISOString(), close: s.close.toISOString() };
};

describe('the US equities calendar', () => {
  it('a normal day opens at 09:30 and closes at 16:00 New York time (EDT and EST)', () => {
    expect(session('2026-06-16')).toEqual({ open: '2026-06-16T13:30:00.000Z', close: '2026-06-16T20:00:00.000Z' });
    expect(session('2027-01-12')).toEqual({ open: '2027-01-12T14:30:00.000Z', close: '2027-01-12T21:00:00.000Z' });
  });

  it('a weekend has no session', () => {
    expect([session('2026-06-13'), session('2026-06-14'), session('2027-10-09')]).toEqual([null, null, null]);
  });

  it('holidays of 2026 and 2027 have no session, observed days included', () => {
    // Good Friday 2026, Independence Day 2026 observed on Friday July 3, Juneteenth 2027 observed on
    // Friday June 18, Christmas 2027 observed on Friday December 24.
    expect(['2026-04-03', '2026-07-03', '2026-11-26', '2027-03-26', '2027-06-18', '2027-12-24'].map(session)).toEqual([null, null, null, null, null, null]);
    // The days around them trade.
    expect(session('2026-07-02')).toEqual({ open: '2026-07-02T13:30:00.000Z', close: '2026-07-02T20:00:00.000Z' });
    expect(session('2027-12-23')).toEqual({ open: '2027-12-23T14:30:00.000Z', close: '2027-12-23T21:00:00.000Z' });
  });

  it('early closes of 2026 and 2027 end at 13:00 New York time', () => {
    expect(session('2026-11-27')).toEqual({ open: '2026-11-27T14:30:00.000Z', close: '2026-11-27T18:00:00.000Z' });
    expect(session('2026-12-24')).toEqual({ open: '2026-12-24T14:30:00.000Z', close: '2026-12-24T18:00:00.000Z' });
    expect(session('2027-11-26')).toEqual({ open: '2027-11-26T14:30:00.000Z', close: '2027-11-26T18:00:00.000Z' });
  });

  it('follows New York daylight saving time across its change days', () => {
    // 2026-03-08 02:00 EST becomes 03:00 EDT (07:00Z); 2026-11-01 02:00 EDT becomes 01:00 EST (06:00Z).
    expect([
      newYorkOffsetMinutes(new Date('2026-03-08T06:59:59Z')),
      newYorkOffsetMinutes(new Date('2026-03-08T07:00:00Z')),
      newYorkOffsetMinutes(new Date('2026-11-01T05:59:59Z')),
      newYorkOffsetMinutes(new Date('2026-11-01T06:00:00Z')),
    ]).toEqual([-300, -240, -240, -300]);
    expect([session('2026-03-06'), session('2026-03-09'), session('2026-10-30'), session('2026-11-02')]).toEqual([
      { open: '2026-03-06T14:30:00.000Z', close: '2026-03-06T21:00:00.000Z' },
      { open: '2026-03-09T13:30:00.000Z', close: '2026-03-09T20:00:00.000Z' },
      { open: '2026-10-30T13:30:00.000Z', close: '2026-10-30T20:00:00.000Z' },
      { open: '2026-11-02T14:30:00.000Z', close: '2026-11-02T21:00:00.000Z' },
    ]);
    // 2027's changes: March 14 and November 7.
    expect([session('2027-03-12')!.open, session('2027-03-15')!.open, session('2027-11-05')!.open, session('2027-11-08')!.open]).toEqual([
      '2027-03-12T14:30:00.000Z',
      '2027-03-15T13:30:00.000Z',
      '2027-11-05T13:30:00.000Z',
      '2027-11-08T14:30:00.000Z',
    ]);
  });

  it('dates an instant by New York, not UTC', () => {
    expect([newYorkDate(new Date('2026-06-17T03:00:00Z')), newYorkDate(new Date('2026-06-17T04:00:00Z'))]).toEqual(['2026-06-16', '2026-06-17']);
  });

  it('is open from the open (included) to the close (excluded)', () => {
    expect(['2026-06-16T13:29:59.999Z', '2026-06-16T13:30:00Z', '2026-06-16T19:59:59.999Z', '2026-06-16T20:00:00Z'].map((t) => usEquitiesOpenAt(new Date(t)))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('finds the last close and the next change across a weekend and a holiday', () => {
    // Monday 2026-01-19 is Martin Luther King Jr. Day: after Friday's close the next change is Tuesday's open.
    expect(usEquitiesNextChange(new Date('2026-01-16T21:00:00Z')).toISOString()).toBe('2026-01-20T14:30:00.000Z');
    expect(usEquitiesLastClose(new Date('2026-01-20T14:29:00Z'))!.toISOString()).toBe('2026-01-16T21:00:00.000Z');
    expect(usEquitiesLastClose(new Date('2026-01-16T21:00:00Z'))!.toISOString()).toBe('2026-01-16T21:00:00.000Z');
    expect(usEquitiesNextChange(new Date('2026-11-27T15:00:00Z')).toISOString()).toBe('2026-11-27T18:00:00.000Z');
  });
});
