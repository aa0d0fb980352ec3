import type { Queryable } from './db.js';

/**
 * slack_digests: a channel's daily digest. `next_on` is the UTC day of the next post; a post is
 * claimed by moving it on (one conditional UPDATE), so two bots, or a bot restarted mid-day, post
 * each day's digest once.
 */

export interface DigestSubscription {
  readonly teamId: string;
  readonly channelId: string;
  /** Minutes after 00:00 UTC. */
  readonly atMinute: number;
  /** YYYY-MM-DD (UTC). */
  readonly nextOn: string;
}

interface Row {
  team_id: string;
  channel_id: string;
  at_minute: number;
  next_on: string;
}

const subscription = (r: Row): DigestSubscription => ({ teamId: r.team_id, channelId: r.channel_id, atMinute: r.at_minute, nextOn: r.next_on });

/** The UTC day of `at`, as the table's DATE holds it. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** The first day, from `now` on, whose `atMinute` has not passed yet: today's if still ahead, else tomorrow's. */
export function firstDayFrom(now: Date, atMinute: number): string {
  const minuteNow = now.getUTCHours() * 60 + now.getUTCMinutes();
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  if (minuteNow >= atMinute) day.setUTCDate(day.getUTCDate() + 1);
  return utcDay(day);
}

export async function subscribeDigest(db: Queryable, team: string, channel: string, atMinute: number, by: string, now: Date): Promise<DigestSubscription> {
  const { rows } = await db.query<Row>(
    `INSERT INTO slack_digests (team_id, channel_id, at_minute, next_on, created_by, updated_at) VALUES ($1, $2, $3, $4::date, $5, now())
     ON CONFLICT (team_id, channel_id) DO UPDATE SET at_minute = EXCLUDED.at_minute, next_on = EXCLUDED.next_on, created_by = EXCLUDED.created_by, updated_at = now()
     RETURNING team_id, channel_id, at_minute, to_char(next_on, 'YYYY-MM-DD') AS next_on`,
    [team, channel, atMinute, firstDayFrom(now, atMinute), by],
  );
  return subscription(rows[0]);
}

/** True when the channel had a digest. */
export async function unsubscribeDigest(db: Queryable, team: string, channel: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM slack_digests WHERE team_id = $1 AND channel_id = $2', [team, channel]);
  return (rowCount ?? 0) > 0;
}

export async function getDigest(db: Queryable, team: string, channel: string): Promise<DigestSubscription | undefined> {
  const { rows } = await db.query<Row>(
    "SELECT team_id, channel_id, at_minute, to_char(next_on, 'YYYY-MM-DD') AS next_on FROM slack_digests WHERE team_id = $1 AND channel_id = $2",
    [team, channel],
  );
  return rows[0] && subscription(rows[0]);
}

/** Digests whose time has come: their day is today or earlier and, if today, their minute has passed. */
export async function dueDigests(db: Queryable, now: Date): Promise<DigestSubscription[]> {
  const { rows } = await db.query<Row>(
    `SELECT team_id, channel_id, at_minute, to_char(next_on, 'YYYY-MM-DD') AS next_on FROM slack_digests
     WHERE next_on < $1::date OR (next_on = $1::date AND at_minute <= $2)
     ORDER BY next_on, at_minute, team_id, channel_id`,
    [utcDay(now), now.getUTCHours() * 60 + now.getUTCMinutes()],
  );
  return rows.map(subscription);
}

/**
 * Claims a due digest: moves its day on past `now`, if no one did since it was read. A digest missed
 * for days (the bot was down) posts once, not once per day missed.
 */
export async function claimDigest(db: Queryable, d: DigestSubscription, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE slack_digests SET next_on = $4::date WHERE team_id = $1 AND channel_id = $2 AND next_on = $3::date AND at_minute = $5',
    [d.teamId, d.channelId, d.nextOn, firstDayFrom(now, d.atMinute), d.atMinute],
  );
  return (rowCount ?? 0) > 0;
}

/** Gives a claimed day back after a post Slack did not take, so the next check tries again. */
export async function releaseDigest(db: Queryable, d: DigestSubscription, now: Date): Promise<void> {
  await db.query('UPDATE slack_digests SET next_on = $3::date WHERE team_id = $1 AND channel_id = $2 AND next_on = $4::date AND at_minute = $5', [
    d.teamId,
    d.channelId,
    d.nextOn,
    firstDayFrom(now, d.atMinute),
    d.atMinute,
  ]);
}
