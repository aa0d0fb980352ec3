import { describe, expect, it } from '@jest/globals';
import { formatMinute, parseLeaderboardArgs, parsePnlArgs } from '../../src/slack/commands/pnl-args.js';
import { firstDayFrom } from '../../src/slack/store/digests.js';

describe('/leaderboard words', () => {
  it.each([
    ['', 'day'],
    ['week', 'week'],
    [' MONTH ', 'month'],
    ['all', 'all'],
  ])('%j is period %s', (text, period) => {
    expect(parseLeaderboardArgs(text)).toEqual({ ok: true, value: period });
  });

  it('refuses other words and unreadable text', () => {
    expect(parseLeaderboardArgs('year')).toEqual({ ok: false, error: '"year" is not a period: use day, week, month or all.' });
    expect(parseLeaderboardArgs('week\u0000')).toEqual({ ok: false, error: expect.stringMatching(/control character/) });
  });
});

describe('/pnl words', () => {
  it.each([
    ['', { kind: 'chart', period: 'day' }],
    ['week', { kind: 'chart', period: 'week' }],
    ['Tech Portfolio', { kind: 'chart', portfolio: 'Tech Portfolio', period: 'day' }],
    ['Tech Portfolio all', { kind: 'chart', portfolio: 'Tech Portfolio', period: 'all' }],
    ['"Tech Portfolio" Month', { kind: 'chart', portfolio: 'Tech Portfolio', period: 'month' }],
    // Quoted, a period word is a portfolio's name.
    ['"week"', { kind: 'chart', portfolio: 'week', period: 'day' }],
    ['"digest" week', { kind: 'chart', portfolio: 'digest', period: 'week' }],
    ['digest 08:30', { kind: 'digest', atMinute: 510 }],
    ['digest 0:05', { kind: 'digest', atMinute: 5 }],
    ['Digest 23:59', { kind: 'digest', atMinute: 1439 }],
    ['digest OFF', { kind: 'digest-off' }],
  ])('%j', (text, value) => {
    expect(parsePnlArgs(text)).toEqual({ ok: true, value });
  });

  it.each(['digest', 'digest 24:00', 'digest 8:3', 'digest 08:30 09:00', 'digest soon'])('%j asks for a time', (text) => {
    expect(parsePnlArgs(text)).toEqual({ ok: false, error: expect.stringMatching(/^When should the digest be posted\?/) });
  });

  it('writes a minute of the day back as HH:MM', () => {
    expect([formatMinute(0), formatMinute(510), formatMinute(1439)]).toEqual(['00:00', '08:30', '23:59']);
  });
});

describe("a digest's first day", () => {
  it('is today while its time is ahead, else tomorrow (UTC), across a month end', () => {
    expect(firstDayFrom(new Date('2026-12-07T08:29:59Z'), 510)).toBe('2026-12-07');
    expect(firstDayFrom(new Date('2026-12-07T08:30:00Z'), 510)).toBe('2026-12-08');
    expect(firstDayFrom(new Date('2026-12-31T23:00:00Z'), 60)).toBe('2027-01-01');
  });
});
