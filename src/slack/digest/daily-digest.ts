import type { webApi } from '@slack/bolt';
import type pg from 'pg';
import type { Logger } from 'pino';
import { buildLeaderboard } from '../blocks/leaderboard.js';
import type { OmsClient } from '../oms-client.js';
import { claimDigest, dueDigests, releaseDigest } from '../store/digests.js';
import { RecurringJob } from '../../timing/recurring-job.js';

export interface DailyDigestOptions {
  readonly oms: Pick<OmsClient, 'leaderboard'>;
  readonly db: pg.Pool;
  readonly slack: webApi.WebClient;
  readonly logger: Logger;
  /** How often due digests are looked for. */
  readonly checkMs?: number;
  /**
   * Installs in many workspaces: the desk and token to post a workspace's digests with (undefined:
   * the app is no longer installed there, and its digests wait).
   */
  readonly forTeam?: (team: string) => Promise<{ oms: Pick<OmsClient, 'leaderboard'>; slack: webApi.WebClient } | undefined>;
  /** The wall clock (tests move it instead of waiting for 08:30). */
  readonly now?: () => Date;
}

/**
 * Posts each subscribed channel's digest (the day's leaderboard) once a day at its time (UTC).
 * Every check reads the due subscriptions from the bot's table and claims each before posting
 * (store/digests.ts), so a restart, or a second bot on the same tables, never posts a day twice. A
 * post Slack refuses gives its day back and is tried at the next check; a bot that stops between
 * the claim and the post loses that one day's digest rather than doubling it.
 */
export class DailyDigest {
  private readonly job: RecurringJob<number, Date>;
  private readonly now: () => Date;

  constructor(private readonly options: DailyDigestOptions) {
    this.now = options.now ?? (() => new Date());
    this.job = new RecurringJob((at) => this.postDue(at ?? this.now()), options.checkMs ?? 20_000);
  }

  start(): void {
    this.job.start();
    void this.check();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  /** Posts the digests due at `at` (default now); one check at a time. Resolves with how many it posted. */
  check(at?: Date): Promise<number> {
    return this.job.run(at);
  }

  private async postDue(now: Date): Promise<number> {
    const { db, logger } = this.options;
    let posted = 0;
    try {
      for (const digest of await dueDigests(db, now)) {
        const via = this.options.forTeam ? await this.options.forTeam(digest.teamId) : this.options;
        if (!via) continue;
        if (!(await claimDigest(db, digest, now))) continue;
        try {
          const board = await via.oms.leaderboard('day');
          await via.slack.chat.postMessage({ channel: digest.channelId, ...buildLeaderboard(board, 'Daily digest: leaderboard') });
          posted++;
        } catch (error) {
          logger.warn({ err: error, channel: digest.channelId }, 'daily digest not posted; retried at the next check');
          await releaseDigest(db, digest, now).catch((e: unknown) => logger.warn({ err: e }, 'daily digest could not be given back'));
        }
      }
    } catch (error) {
      logger.warn({ err: error }, 'daily digests not read; retried at the next check');
    }
    return posted;
  }
}
