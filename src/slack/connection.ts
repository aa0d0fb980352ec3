import type { Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';

/**
 * The bot's link to Slack, as /health reports it:
 * - `connecting`: the first attempt (or the first after a lost Socket Mode connection) is under way;
 * - `ok`: Slack accepted the token (auth.test) and, in Socket Mode, the socket is open;
 * - `unreachable`: Slack did not answer, or answered with an error that is not about credentials;
 * - `invalid_auth`: Slack refused the credentials.
 */
export type SlackLinkState = 'connecting' | 'ok' | 'unreachable' | 'invalid_auth';

export interface RetryPolicy {
  readonly minMs: number;
  readonly maxMs: number;
}

/** Slack's answers that mean "these credentials are no good", whichever call gave them. */
const REFUSED_CREDENTIALS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'team_disabled',
  'user_removed_from_team',
]);

/** The Slack error code of a Web API refusal (`ok: false`), if that is what `error` is. */
export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

export function failureState(error: unknown): 'unreachable' | 'invalid_auth' {
  const code = slackErrorCode(error);
  return code !== undefined && REFUSED_CREDENTIALS.has(code) ? 'invalid_auth' : 'unreachable';
}

/**
 * Wait before the next attempt after `failures` failures in a row: `minMs` doubling up to `maxMs`,
 * with the upper half jittered so that many bots cut off together do not come back in step.
 */
export function retryDelay(policy: RetryPolicy, failures: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(base / 2 + (random() * base) / 2);
}

export interface SlackConnectionOptions {
  /** One attempt: resolves once connected, rejects with what Slack (or the network) said. */
  readonly connect: () => Promise<void>;
  /** Undoes a connection that was made after `stop()` (an attempt still in flight then). */
  readonly disconnect?: () => Promise<void>;
  /** Runs after every successful attempt. */
  readonly onConnected?: () => void;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  readonly random?: () => number;
}

/**
 * Keeps trying to connect the bot to Slack in the background, for as long as it runs, and knows how
 * that is going. Nothing here throws or rejects: Slack's trouble stays the bot's. Each state change is
 * logged once; the attempts in between are logged at debug level only.
 *
 * Credentials Slack refused are retried too, at the slowest pace (`maxMs`): a revoked token can be
 * reinstated, a deactivated workspace reactivated, and the bot then comes back without a restart.
 */
export class SlackConnection {
  private current: SlackLinkState = 'connecting';
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private attempting = false;
  /** The connection closed while an attempt was still settling: that attempt did not really connect. */
  private droppedWhileAttempting = false;
  private connectedAt = 0;
  private started = false;
  private stopped = false;
  private waiting: (() => void)[] = [];

  constructor(private readonly o: SlackConnectionOptions) {}

  get state(): SlackLinkState {
    return this.current;
  }

  /** Begins connecting in the background; further calls do nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.o.logger.info('connecting to Slack');
    this.schedule(0);
  }

  /** Resolves once connected (at once if connected now). */
  connected(): Promise<void> {
    if (this.current === 'ok') return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * The connection was lost (a Socket Mode socket closed). One that had lasted reconnects at once; one
   * that drops soon after opening counts as a failure, so a Slack that accepts and drops again and
   * again is retried with backoff, not in a tight loop.
   */
  lost(reason: string): void {
    if (this.stopped) return;
    if (this.attempting) {
      this.droppedWhileAttempting = true;
      return;
    }
    if (this.current !== 'ok') return;
    const lasted = Date.now() - this.connectedAt >= this.o.retry.maxMs;
    this.failures = lasted ? 0 : this.failures + 1;
    this.change('connecting', { reason }, 'the connection to Slack was lost; reconnecting');
    this.schedule(lasted ? 0 : retryDelay(this.o.retry, this.failures, this.o.random));
  }

  /** No attempt is made after this; one in flight is left to finish and undone if it connects. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.attempt();
    }, ms);
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.attempting) return;
    this.attempting = true;
    this.droppedWhileAttempting = false;
    try {
      await this.o.connect();
    } catch (error) {
      this.attempting = false;
      if (this.stopped) return;
      this.failed(error);
      return;
    }
    this.attempting = false;
    if (this.stopped) {
      await this.o.disconnect?.().catch(() => undefined);
      return;
    }
    if (this.droppedWhileAttempting) {
      this.failures++;
      this.schedule(retryDelay(this.o.retry, this.failures, this.o.random));
      return;
    }
    this.connectedAt = Date.now();
    this.change('ok', {}, 'connected to Slack');
    this.o.onConnected?.();
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  private failed(error: unknown): void {
    this.failures++;
    const state = failureState(error);
    // Refused credentials do not get better by asking often: retry at the slowest pace.
    const delay = retryDelay(this.o.retry, state === 'invalid_auth' ? Number.MAX_SAFE_INTEGER : this.failures, this.o.random);
    const reason = slackErrorCode(error) ?? (error instanceof Error ? error.message : String(error));
    if (state === 'invalid_auth') {
      this.change(state, { reason, retryMs: this.o.retry.maxMs }, 'Slack refused the bot\'s credentials (check SLACK_BOT_TOKEN / SLACK_APP_TOKEN); retrying slowly');
    } else {
      this.change(state, { reason, retryUpToMs: this.o.retry.maxMs }, 'Slack is unreachable; retrying with backoff');
    }
    this.o.logger.debug({ reason, failures: this.failures, nextAttemptMs: delay }, 'Slack connection attempt failed');
    this.schedule(delay);
  }

  private change(state: SlackLinkState, fields: Record<string, unknown>, message: string): void {
    if (state === this.current) return;
    this.current = state;
    const level = state === 'ok' || state === 'connecting' ? 'info' : state === 'invalid_auth' ? 'error' : 'warn';
    this.o.logger[level]({ slack: state, ...fields }, message);
  }
}

/**
 * Bolt's logger, made to say at debug level only what it says while `quiet()` holds: while the bot is
 * not connected its WebClient would log every failed attempt (each retry of each call), and the
 * connection logs the outage once already.
 */
export function quietWhile(log: BoltLogger, quiet: () => boolean): BoltLogger {
  const level = (write: (...msg: unknown[]) => void) => (...msg: unknown[]) => (quiet() ? log.debug(...msg) : write(...msg));
  return { ...log, info: level(log.info), warn: level(log.warn), error: level(log.error) };
}
