import type pg from 'pg';
import type { Logger } from 'pino';
import type { SlackConfig } from './config.js';
import type { OmsClient } from './oms-client.js';
import type { WorkQueue } from './work-queue.js';

/** What every listener gets: the OMS over HTTP, the bot's own tables, and a nudge for the notifier. */
export interface SlackDeps {
  readonly config: SlackConfig;
  readonly oms: OmsClient;
  readonly db: pg.Pool;
  readonly logger: Logger;
  /** Asks the fill notifier to run now (an order was just placed) instead of at its next poll. */
  readonly wakeFillNotifier: () => void;
  /** Asks for a prompt wake-up of the notifier whenever an order of this portfolio fills (OMS feed). */
  readonly watchFills: (portfolio: string) => void;
  /** client_order_ids being placed by this process right now (see trading/place-order.ts). */
  readonly placing: Set<string>;
  /**
   * Orders this process posted an approval request for and that await a decision: when the feed shows
   * one decided elsewhere (over REST, expired, a halt), its request is updated.
   */
  readonly awaitingApproval: Set<string>;
  /**
   * Installs in many workspaces: the workspace the current request came from (its desk is the one
   * `oms` acts on). Undefined with one workspace.
   */
  readonly workspaceTeam: () => string | undefined;
  /** Installs in many workspaces: removes a workspace's installation and stops its Slack traffic. */
  readonly uninstall?: (team: string) => Promise<void>;
  /** Where listeners run their after-ack work. */
  readonly work: WorkQueue;
  /**
   * Where Approve / Reject clicks run their one OMS call: a lane of their own, so an approver waits
   * neither behind a burst of /trade work nor behind other decisions' message updates.
   */
  readonly decisions: WorkQueue;
}
