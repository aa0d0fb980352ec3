import type { Installation } from '@slack/bolt';
import type { Queryable } from './db.js';
import type { SecretBox } from './secret-box.js';

/**
 * slack_installations: one row per workspace the app is installed in. The installation Slack gave
 * (bot token, refresh token and expiry among it) is kept encrypted in `secret`; the columns beside it
 * say whose it is without decrypting anything.
 */
export type WorkspaceInstallation = Installation<'v2', false>;

const context = (team: string) => `slack_installations:${team}`;

export async function saveInstallation(db: Queryable, box: SecretBox, installation: WorkspaceInstallation): Promise<void> {
  const team = installation.team.id;
  const expiresAt = installation.bot?.expiresAt;
  await db.query(
    `INSERT INTO slack_installations (team_id, enterprise_id, bot_user_id, installer_user_id, token_expires_at, secret, installed_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, now(), now())
     ON CONFLICT (team_id) DO UPDATE SET enterprise_id = EXCLUDED.enterprise_id, bot_user_id = EXCLUDED.bot_user_id,
       installer_user_id = EXCLUDED.installer_user_id, token_expires_at = EXCLUDED.token_expires_at, secret = EXCLUDED.secret, updated_at = now()`,
    [
      team,
      installation.enterprise?.id ?? null,
      installation.bot?.userId ?? '',
      installation.user.id,
      expiresAt === undefined ? null : new Date(expiresAt * 1000),
      box.seal(JSON.stringify(installation), context(team)),
    ],
  );
}

export async function loadInstallation(db: Queryable, box: SecretBox, team: string): Promise<WorkspaceInstallation | undefined> {
  const { rows } = await db.query<{ secret: string }>('SELECT secret FROM slack_installations WHERE team_id = $1', [team]);
  return rows[0] ? (JSON.parse(box.open(rows[0].secret, context(team))) as WorkspaceInstallation) : undefined;
}

/** Returns whether there was one. */
export async function deleteInstallation(db: Queryable, team: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM slack_installations WHERE team_id = $1', [team]);
  return (rowCount ?? 0) > 0;
}

export async function installedTeams(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ team_id: string }>('SELECT team_id FROM slack_installations ORDER BY team_id');
  return rows.map((r) => r.team_id);
}
