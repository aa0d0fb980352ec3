import { webApi } from '@slack/bolt';
import type pg from 'pg';
import type { Logger } from 'pino';
import { slackErrorCode } from '../connection.js';
import type { SecretBox } from '../store/secret-box.js';
import { loadInstallation, saveInstallation, type WorkspaceInstallation } from '../store/installations.js';

export interface TokenRefresherOptions {
  readonly db: pg.Pool;
  readonly box: SecretBox;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Where oauth.v2.access is (SLACK_API_URL), with the bot's Web API policy. */
  readonly clientOptions: webApi.WebClientOptions;
  readonly logger: Logger;
  /** Told of each new token (the workspace's notifier posts with it from then on). */
  readonly onRefreshed?: (team: string, token: string) => void;
}

/** Refresh this long before expiry at most (Slack's rotated tokens live 12 hours)... */
const MAX_LEAD_MS = 60 * 60_000;
/** ...and retry a failed refresh this often at most, so an hour's outage of Slack costs no token. */
const MAX_RETRY_MS = 60_000;
const MIN_RETRY_MS = 1_000;

/**
 * Token rotation: a workspace whose app has rotation on gets bot tokens that expire (with a refresh
 * token); each is replaced before it does, by oauth.v2.access with grant_type=refresh_token, and the
 * new token, refresh token and expiry are stored (encrypted) at once. A timer per workspace fires an
 * hour before expiry, or halfway through a shorter life. Bolt's own refresh-on-request is not used
 * (the installation store hands Bolt no refresh token): with one owner of the refresh, a single-use
 * refresh token is never spent twice by two requests racing.
 */
export class TokenRefresher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<WorkspaceInstallation | undefined>>();
  private readonly client: webApi.WebClient;
  private stopped = false;

  constructor(private readonly o: TokenRefresherOptions) {
    this.client = new webApi.WebClient(undefined, o.clientOptions);
  }

  /** Schedules the next refresh of this workspace's token, if it expires. */
  watch(installation: WorkspaceInstallation): void {
    const team = installation.team.id;
    this.forget(team);
    const expiresAt = installation.bot?.expiresAt;
    if (this.stopped || expiresAt === undefined || !installation.bot?.refreshToken) return;
    const left = expiresAt * 1000 - Date.now();
    this.schedule(team, left > 2 * MAX_LEAD_MS ? left - MAX_LEAD_MS : Math.max(0, left / 2));
  }

  forget(team: string): void {
    clearTimeout(this.timers.get(team));
    this.timers.delete(team);
  }

  stop(): Promise<unknown> {
    this.stopped = true;
    for (const team of [...this.timers.keys()]) this.forget(team);
    return Promise.allSettled(this.running.values());
  }

  /** Refreshes now (one refresh per workspace at a time); the installation as stored after it. */
  refresh(team: string): Promise<WorkspaceInstallation | undefined> {
    const under = this.running.get(team);
    if (under) return under;
    const run = this.refreshOnce(team).finally(() => this.running.delete(team));
    this.running.set(team, run);
    return run;
  }

  private schedule(team: string, delayMs: number): void {
    if (this.stopped) return;
    this.timers.set(
      team,
      setTimeout(() => {
        this.timers.delete(team);
        void this.refresh(team).catch(() => undefined);
      }, delayMs),
    );
  }

  private async refreshOnce(team: string): Promise<WorkspaceInstallation | undefined> {
    const installation = await loadInstallation(this.o.db, this.o.box, team).catch((e: unknown) => {
      this.o.logger.error({ team, err: e }, 'cannot read the installation to refresh its token');
      return undefined;
    });
    const bot = installation?.bot;
    if (!installation || !bot?.refreshToken) return installation;
    try {
      const answer = (await this.client.oauth.v2.access({
        client_id: this.o.clientId,
        client_secret: this.o.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: bot.refreshToken,
      })) as { access_token?: string; refresh_token?: string; expires_in?: number };
      if (!answer.access_token || !answer.refresh_token || answer.expires_in === undefined) throw new Error('oauth.v2.access answered without a token, refresh token and expiry');
      const refreshed: WorkspaceInstallation = {
        ...installation,
        bot: { ...bot, token: answer.access_token, refreshToken: answer.refresh_token, expiresAt: Math.floor(Date.now() / 1000) + answer.expires_in },
      };
      // Still installed? An uninstall while the call was out must not be undone by this write.
      if (!(await loadInstallation(this.o.db, this.o.box, team))) return undefined;
      await saveInstallation(this.o.db, this.o.box, refreshed);
      this.o.logger.info({ team, expiresAt: refreshed.bot!.expiresAt }, 'Slack bot token refreshed');
      this.o.onRefreshed?.(team, answer.access_token);
      this.watch(refreshed);
      return refreshed;
    } catch (e) {
      const left = (bot.expiresAt ?? 0) * 1000 - Date.now();
      const retryMs = Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, left / 4));
      // Only Slack's error code: the call's own text could carry what was sent.
      this.o.logger.warn({ team, slackError: slackErrorCode(e) ?? (e as Error).name, retryMs }, 'Slack bot token not refreshed; retrying');
      this.schedule(team, retryMs);
      return installation;
    }
  }
}
