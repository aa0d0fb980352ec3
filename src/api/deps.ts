import type { Logger } from 'pino';
import type { Desks, DeskInfo } from '../oms/desks.js';
import type { HistoryQueries } from '../db/history-queries.js';
import type { BarRepository } from '../db/bars.repository.js';
import type { EquityStore } from '../oms/equity.js';
import type { KeyAdmin, KeyCache } from './auth.js';
import type { Env } from '../config/env.js';
import type { MemberDirectory } from '../oms/members.js';
import type { ClusterOut } from '../wire/response-schemas.js';

export interface ApiDeps {
  readonly desks: Desks;
  /** Makes a desk (row, state, house quotes) and its first admin key; null when the name is taken. */
  /** `actAs`: the first admin key also has act_as (only an operator makes desks, so it may give it). */
  readonly createDesk: (name: string, options?: { actAs?: boolean }) => Promise<{ desk: DeskInfo; adminKey: string } | null>;
  readonly history: HistoryQueries;
  /** The instruments' bars (GET /bars/{symbol}). */
  readonly bars: Pick<BarRepository, 'read'>;
  /** Equity snapshots (GET /leaderboard, GET /portfolios/{name}/equity). */
  readonly equity: Pick<EquityStore, 'startingPoints' | 'curve'>;
  readonly keys: KeyCache;
  readonly keyAdmin: KeyAdmin;
  /** Each desk's members, roles and channel grants (a key with act_as acts for one of them). */
  readonly members: MemberDirectory;
  readonly logger: Logger;
  readonly env: Env;
  readonly checkDatabase: () => Promise<void>;
  /** True once the service is stopping: requests still arriving are refused, not half-served. */
  readonly stopping?: () => boolean;
  /** False until the desk can trade (state loaded, the house's first quotes committed): /health says `starting`. */
  readonly ready?: () => boolean;
  readonly mount?: (app: import('express').Express) => void;
  /**
   * States of parts that run beside the OMS without being needed to trade (the Slack bot: `slack`),
   * added to a healthy /health answer as they are; they never make it fail.
   */
  readonly healthComponents?: () => Readonly<Record<string, string>>;
  /**
   * In a cluster of OMS processes: answers a request whose key's desk another process owns by
   * forwarding it there (true), or false when no process serves the desk now (a 503 to retry).
   */
  readonly forward?: (deskId: number, req: import('express').Request, res: import('express').Response) => boolean;
  /** In a cluster: every desk of the deployment, wherever it is served (GET /desks). */
  readonly allDesks?: () => Promise<DeskInfo[]>;
  /** In a cluster: its members and each desk's owner (GET /cluster). */
  readonly cluster?: () => Promise<ClusterOut>;
}
