import type pg from 'pg';
import type { Logger } from 'pino';
import { isOmsError, memberId, type OmsClient } from '../oms-client.js';
import type { SecretBox } from '../store/secret-box.js';
import { findWorkspaceDesk, saveWorkspaceDesk, type WorkspaceDesk } from '../store/workspace-desks.js';

/** An install the bot will not complete; its message is shown to the installer as it is. */
export class InstallRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstallRefused';
  }
}

/** The desk of a workspace is named after it, the way its members are (`slack:TEAM:USER`). */
export const deskNameOf = (team: string): string => `slack:${team}`;

/**
 * The workspace's desk: the one it had (a reinstall finds its desk and data again), or a new one made
 * over the OMS's desks API with the bot's operator key. The new desk's admin key is what the bot acts
 * with in that workspace from then on; it is stored encrypted and never logged.
 */
export async function provisionWorkspaceDesk(o: { operator: OmsClient; db: pg.Pool; box: SecretBox; logger: Logger }, team: string): Promise<WorkspaceDesk> {
  const known = await findWorkspaceDesk(o.db, o.box, team);
  if (known) return known;
  const name = deskNameOf(team);
  let made;
  try {
    made = await o.operator.createDesk(name);
  } catch (e) {
    if (isOmsError(e) && (e.status === 401 || e.status === 403)) {
      throw new InstallRefused("the desk service refused to make this workspace's desk: the bot's OMS key needs the operator scope (see README-slack, installs in many workspaces)");
    }
    if (isOmsError(e, 'DESK_EXISTS')) {
      throw new InstallRefused(`a desk named ${name} exists, but this bot has no key for it: an operator can remove or rename that desk, then install again`);
    }
    if (isOmsError(e)) throw new InstallRefused(`the desk service could not make this workspace's desk (${e.code}); try again shortly`);
    throw e;
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
