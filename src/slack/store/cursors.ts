import type { Queryable } from './db.js';

/** slack_cursors: how far the bot has read an OMS stream (the trade id of the last handled trade). */

export async function getCursor(db: Queryable, name: string): Promise<string | undefined> {
  const { rows } = await db.query<{ value: string }>('SELECT value FROM slack_cursors WHERE name = $1', [name]);
  return rows[0]?.value;
}

/** Sets the cursor unless it is already set (first start); returns the value in force. */
export async function initCursor(db: Queryable, name: string, value: string): Promise<string> {
  await db.query('INSERT INTO slack_cursors (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, value]);
  return (await getCursor(db, name)) ?? value;
}

/** Moves forward only: a slow writer can never take the cursor back. */
export async function advanceCursor(db: Queryable, name: string, value: string): Promise<void> {
  await db.query(
    `INSERT INTO slack_cursors (name, value) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET value = GREATEST(slack_cursors.value, EXCLUDED.value)`,
    [name, value],
  );
}
