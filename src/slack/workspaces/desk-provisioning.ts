import type pg from 'pg';
import type { Logger } from 'pino';
import { isOmsError, memberId, type OmsClient } from '../oms-client.js';
import type { SecretBox } from '../store/secret-box.js';
import { SecretBoxError } from '../store/secret-box.js';
import { findWorkspaceDesk, saveWorkspaceDesk, type WorkspaceDesk } from '../store/workspace-desks.js';

/** An install the bot will not complete; its message is shown to the installer as it is. */
export class InstallRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstallRefused';
  }
}

/**
 * The desk of a workspace is named after it, the way its members are (`slack:TEAM:USER`); a later one
 * (the first one's key lost with a changed SLACK_STATE_SECRET) gets a number.
 */
export const deskNameOf = (team: string, nth = 1): string => (nth === 1 ? `slack:${team}` : `slack:${team}:${nth}`);

/** Desks tried per install before giving up: each taken name is a desk of the workspace the bot lost. */
const MAX_DESKS_PER_WORKSPACE = 5;

/**
 * The workspace's desk: the one it had (a reinstall finds its desk and data again), or a new one made
 * over the OMS's desks API with the bot's operator key. The new desk's admin key is what the bot acts
 * with in that workspace from then on; it is stored encrypted and never logged.
 */
export async function provisionWorkspaceDesk(o: { operator: OmsClient; db: pg.Pool; box: SecretBox; logger: Logger }, team: string): Promise<WorkspaceDesk> {
  const known = await findWorkspaceDesk(o.db, o.box, team).catch((e: unknown) => {
    if (!(e instanceof SecretBoxError)) throw e;
    // Its key was sealed under another SLACK_STATE_SECRET: that desk keeps its data, a new one is made.
    o.logger.warn({ team }, "the workspace's desk key cannot be read (SLACK_STATE_SECRET changed?): making the workspace a new desk");
    return undefined;
  });
  if (known) return known;
  let made: { desk: { id: number; name: string }; admin_key: string } | undefined;
  for (let nth = 1; !made; nth++) {
    const name = deskNameOf(team, nth);
    try {
      made = await o.operator.createDesk(name);
    } catch (e) {
      if (isOmsError(e) && (e.status === 401 || e.status === 403)) {
        throw new InstallRefused("the desk service refused to make this workspace's desk: the bot's OMS key needs the operator scope (see README-slack, installs in many workspaces)");
      }
      if (isOmsError(e, 'DESK_EXISTS') && nth < MAX_DESKS_PER_WORKSPACE) continue;
      if (isOmsError(e, 'DESK_EXISTS')) throw new InstallRefused(`desks ${deskNameOf(team)} to ${name} exist, but this bot has no key for any of them; an operator must sort them out`);
      if (isOmsError(e)) throw new InstallRefused(`the desk service could not make this workspace's desk (${e.code}); try again shortly`);
      throw e;
    }
  }
  const desk: WorkspaceDesk = { teamId: team, deskId: made.desk.id, deskName: made.desk.name, deskKey: made.admin_key };
  await saveWorkspaceDesk(o.db, o.box, desk);
  o.logger.info({ team, desk: desk.deskName, deskId: desk.deskId }, "made the workspace's desk");
  return desk;
}

/**
 * The installer becomes the first admin of the workspace's desk (`PUT /members/slack:TEAM:USER`
 * with the desk key's own admin scope). A reinstall by someone else changes no role: an existing
 * member keeps theirs, and a desk that has admins gets no new one this way.
 */
export async function makeInstallerDeskAdmin(desk: OmsClient, team: string, installerUserId: string): Promise<void> {
  const id = memberId(team, installerUserId);
  const members = await desk.listMembers();
  if (members.some((m) => m.role === 'admin')) return;
  await desk.setRole(id, 'admin');
}
