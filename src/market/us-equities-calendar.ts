/**
 * The US equities regular session: 09:30-16:00 New York time on trading days, 13:00 on early
 * closes. Holidays and early closes are NYSE's published calendar; a year not listed here is
 * taken as every weekday a full session (no holidays known), which is what a replay of an older
 * file gets.
 */

/** NYSE holidays (New York dates): no session. */
const HOLIDAYS: ReadonlySet<string> = new Set([
  // 2026
  '2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25',
  // 2027
  '2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24',
]);

/** NYSE early closes (New York dates): the session ends at 13:00. */
const EARLY_CLOSES: ReadonlySet<string> = new Set(['2026-11-27', '2026-12-24', '2027-11-26']);

export const CALENDAR_YEARS: readonly number[] = [2026, 2027];

const OPEN = { hour: 9, minute: 30 };
const CLOSE = { hour: 16, minute: 0 };
const EARLY_CLOSE = { hour: 13, minute: 0 };

const NEW_YORK = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function newYorkWallTime(at: Date): WallTime {
  const parts: Record<string, number> = {};
  for (const p of NEW_YORK.formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
}

/** New York's offset from UTC at an instant, in minutes (-300 in winter, -240 in summer). */
export function newYorkOffsetMinutes(at: Date): number {
  const w = newYorkWallTime(at);
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((wallAsUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The New York calendar date of an instant, `YYYY-MM-DD`. */
export function newYorkDate(at: Date): string {
  const w = newYorkWallTime(at);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/** The instant of a New York wall time on a date (times of day away from 02:00, where DST changes). */
function newYorkInstant(date: string, time: { hour: number; minute: number }): Date {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d, time.hour, time.minute);
  // The offset at the wall time read as UTC is a few hours off the real instant; the second pass
  // takes the offset at the instant itself, which is right unless the clocks change in between.
  const first = wall - newYorkOffsetMinutes(new Date(wall)) * 60_000;
  return new Date(wall - newYorkOffsetMinutes(new Date(first)) * 60_000);
}

export interface SessionWindow {
  readonly open: Date;
  readonly close: Date;
}

/** The regular session on a New York date, or null when there is none (weekend, holiday). */
export function usEquitiesSessionOn(date: string): SessionWindow | null {
  const [y, m, d] = date.split('-').map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  if (weekday === 0 || weekday === 6 || HOLIDAYS.has(date)) return null;
  return { open: newYorkInstant(date, OPEN), close: newYorkInstant(date, EARLY_CLOSES.has(date) ? EARLY_CLOSE : CLOSE) };
}

/** The date `days` calendar days after a `YYYY-MM-DD` date. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** True while the regular session is open: from the open (included) to the close (excluded). */
export function usEquitiesOpenAt(at: Date): boolean {
  const s = usEquitiesSessionOn(newYorkDate(at));
  return s !== null && at >= s.open && at < s.close;
}

/** The latest close at or before `at` (null only before any session of the calendar, never in practice). */
export function usEquitiesLastClose(at: Date): Date | null {
  let date = newYorkDate(at);
  // Holidays and weekends never run longer than four days in a row.
  for (let i = 0; i < 10; i++, date = addDays(date, -1)) {
    const s = usEquitiesSessionOn(date);
    if (s && s.close <= at) return s.close;
  }
  return null;
}

/** The next open or close strictly after `at`. */
export function usEquitiesNextChange(at: Date): Date {
  let date = newYorkDate(at);
  for (let i = 0; i < 10; i++, date = addDays(date, 1)) {
    const s = usEquitiesSessionOn(date);
    if (!s) continue;
    if (s.open > at) return s.open;
    if (s.close > at) return s.close;
  }
  throw new Error(`no session within ten days of ${at.toISOString()}`);
}
