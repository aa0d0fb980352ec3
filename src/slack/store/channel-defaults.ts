import type { Queryable } from './db.js';

/** slack_channel_defaults: the portfolio `/trade` and `/orders` use in a channel (`/portfolio use`). */

export async function getChannelDefault(db: Queryable, team: string, channel: string): Promise<string | undefined> {
  const { rows } = await db.query<{ portfolio_name: string }>(
    'SELECT portfolio_name FROM slack_channel_defaults WHERE team_id = $1 AND channel_id = $2',
    [team, channel],
  );
  return rows[0]?.portfolio_name;
}

export async function setChannelDefault(db: Queryable, team: string, channel: string, portfolio: string): Promise<void> {
  await db.query(
    `INSERT INTO slack_channel_defaults (team_id, channel_id, portfolio_name, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (team_id, channel_id) DO UPDATE SET portfolio_name = EXCLUDED.portfolio_name, updated_at = now()`,
    [team, channel, portfolio],
  );
}
