import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type pg from 'pg';
import { deleteInstallation, loadInstallation, saveInstallation, type WorkspaceInstallation } from '../store/installations.js';
import type { SecretBox } from '../store/secret-box.js';
import { InstallRefused } from './desk-provisioning.js';

export interface InstallationStoreOptions {
  readonly db: pg.Pool;
  readonly box: SecretBox;
  /** Before the installation is kept: make the workspace's desk (throwing stops the install). */
  readonly beforeStore: (installation: WorkspaceInstallation) => Promise<void>;
  /** Once it is kept: the workspace is served from now on. */
  readonly afterStore: (installation: WorkspaceInstallation) => Promise<void>;
}

/**
 * Bolt's installation store over the bot's own table (slack_installations, encrypted). Installs are
 * per workspace: an org-wide install (Enterprise Grid) is refused with a page saying so. What Bolt
 * reads back to authorize a request carries no refresh token or expiry: the token refresher owns the
 * rotation (see token-refresher.ts), Bolt only uses the current token.
 */
export class PgInstallationStore implements InstallationStore {
  constructor(private readonly o: InstallationStoreOptions) {}

  async storeInstallation<V extends 'v1' | 'v2'>(installation: Installation<V, boolean>): Promise<void> {
    if (installation.isEnterpriseInstall || !installation.team) {
      throw new InstallRefused('org-wide installs are not supported: install the app in each workspace of the organisation');
    }
    if (!installation.bot) throw new InstallRefused('Slack granted no bot token: install again and allow the bot scopes');
    const workspace = installation as unknown as WorkspaceInstallation;
    await this.o.beforeStore(workspace);
    await saveInstallation(this.o.db, this.o.box, workspace);
    await this.o.afterStore(workspace);
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    const team = query.teamId;
    const installation = team ? await loadInstallation(this.o.db, this.o.box, team) : undefined;
    if (!installation?.bot) throw new Error(`the app is not installed in workspace ${team ?? '(none given)'}`);
    const { refreshToken: _refresh, expiresAt: _expires, ...bot } = installation.bot;
    return { ...installation, bot };
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    if (query.teamId) await deleteInstallation(this.o.db, query.teamId);
  }
}
