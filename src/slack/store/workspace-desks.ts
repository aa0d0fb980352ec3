import type { Queryable } from './db.js';
import type { SecretBox } from './secret-box.js';

/**
 * slack_workspace_desks: the desk each workspace trades on, and the bot's admin key for it
 * (encrypted). Kept after an uninstall: the desk's data stays, and a reinstall finds its desk again.
 */
export interface WorkspaceDesk {
  readonly teamId: string;
  readonly deskId: number;
  readonly deskName: string;
  readonly deskKey: string;
}

const context = (team: string) => `slack_workspace_desks:${team}`;

export async function findWorkspaceDesk(db: Queryable, box: SecretBox, team: string): Promise<WorkspaceDesk | undefined> {
  const { rows } = await db.query<{ desk_id: number; desk_name: string; desk_key: string }>(
    'SELECT desk_id, desk_name, desk_key FROM slack_workspace_desks WHERE team_id = $1',
    [team],
  );
  const row = rows[0];
  return row ? { teamId: team, deskId: row.desk_id, deskName: row.desk_name, deskKey: box.open(row.desk_key, context(team)) } : undefined;
}

export async function saveWorkspaceDesk(db: Queryable, box: SecretBox, desk: WorkspaceDesk): Promise<void> {
  await db.query(
    `INSERT INTO slack_workspace_desks (team_id, desk_id, desk_name, desk_key) VALUES ($1, $2, $3, $4)
     ON CONFLICT (team_id) DO UPDATE SET desk_id = EXCLUDED.desk_id, desk_name = EXCLUDED.desk_name, desk_key = EXCLUDED.desk_key`,
    [desk.teamId, desk.deskId, desk.deskName, box.seal(desk.deskKey, context(desk.teamId))],
  );
}
