import { AsyncLocalStorage } from 'node:async_hooks';
import { webApi } from '@slack/bolt';
import type pg from 'pg';
import type { Logger } from 'pino';
import { FillFeed } from '../fills/fill-feed.js';
import { FillNotifier } from '../fills/fill-notifier.js';
import { OmsClient } from '../oms-client.js';
import { deleteInstallation, installedTeams, loadInstallation, type WorkspaceInstallation } from '../store/installations.js';
import type { SecretBox } from '../store/secret-box.js';
import { findWorkspaceDesk, type WorkspaceDesk } from '../store/workspace-desks.js';
import type { TokenRefresher } from './token-refresher.js';

/** A workspace the app is installed in, as the bot serves it: its desk, and what posts its fills. */
export interface Workspace {
  readonly team: string;
  readonly desk: WorkspaceDesk;
  /** The OMS with the desk's key. */
  readonly oms: OmsClient;
  readonly notifier: FillNotifier;
  readonly feed: FillFeed;
  /** A Web API client with the workspace's current bot token (the refresher replaces it before it expires). */
  readonly slack: () => Promise<webApi.WebClient>;
}

export interface WorkspacesOptions {
  readonly db: pg.Pool;
  readonly box: SecretBox;
  readonly omsUrl: string;
  readonly fillPollMs: number;
  readonly clientOptions: webApi.WebClientOptions;
  readonly refresher: TokenRefresher;
  readonly logger: Logger;
}

/**
 * The workspaces of a bot installed in many (OAuth). A request is served inside its workspace's
 * scope (`run`): the OMS calls it makes use that workspace's desk key, found with `current()`; there
 * is no key outside a scope, so a call that lost its workspace fails instead of reaching another
 * desk. Each workspace has its own fill notifier (its desk's trade stream, its token) and feed.
 * Uninstalling stops them; the desk and its data stay.
 */
export class Workspaces {
  private readonly scope = new AsyncLocalStorage<Workspace>();
  private readonly live = new Map<string, Workspace>();
  private readonly opening = new Map<string, Promise<Workspace | undefined>>();
  /** Workspaces being uninstalled. */
  private readonly closing = new Set<string>();
  /** Workspaces whose notifier and feed run in this process. */
  private readonly running = new Set<string>();
  private orderListener: ((ws: Workspace, order: { id: string; status: string }) => void) | undefined;
  private started = false;

  constructor(private readonly o: WorkspacesOptions) {}

  current(): Workspace | undefined {
    return this.scope.getStore();
  }

  /** The desk key of the request being served; throws outside a workspace (fail closed). */
  currentKey(): string {
    const ws = this.current();
    if (!ws) throw new Error('no workspace in scope: the OMS is only called on behalf of a workspace');
    return ws.desk.deskKey;
  }

  run<T>(workspace: Workspace, work: () => Promise<T>): Promise<T> {
    return this.scope.run(workspace, work);
  }

  /** The workspace if the app is installed there and its desk is known, else undefined. */
  get(team: string): Promise<Workspace | undefined> {
    if (this.closing.has(team)) return Promise.resolve(undefined);
    const ws = this.live.get(team);
    if (ws) return Promise.resolve(ws);
    let opening = this.opening.get(team);
    if (!opening) {
      opening = this.open(team).finally(() => this.opening.delete(team));
      this.opening.set(team, opening);
    }
    return opening;
  }

  /** Serves every installed workspace (at connect): their notifiers start, their tokens are watched. */
  async start(): Promise<void> {
    this.started = true;
    for (const team of await installedTeams(this.o.db)) {
      await this.get(team).catch((e: unknown) => this.o.logger.error({ team, err: e }, 'workspace not served'));
    }
    for (const ws of this.live.values()) this.startOne(ws);
  }

  /** A new (or renewed) installation: served from now on, with what it has now (a reinstall may bring a new desk). */
  async installed(installation: WorkspaceInstallation): Promise<void> {
    const before = this.live.get(installation.team.id);
    if (before) {
      this.live.delete(before.team);
      this.running.delete(before.team);
      before.feed.stop();
      await before.notifier.stop();
    }
    const ws = await this.get(installation.team.id);
    this.o.refresher.watch(installation);
    if (ws) this.startOne(ws);
  }

  /** app_uninstalled or tokens_revoked: the installation goes, the workspace's Slack traffic stops. */
  async uninstalled(team: string): Promise<void> {
    // Not served from now on: taken out before the row goes, so no request reopens it meanwhile.
    this.closing.add(team);
    const ws = this.live.get(team);
    this.live.delete(team);
    this.o.refresher.forget(team);
    try {
      await deleteInstallation(this.o.db, team);
    } finally {
      this.closing.delete(team);
    }
    if (ws) {
      this.running.delete(team);
      ws.feed.stop();
      await ws.notifier.stop();
    }
    this.o.logger.info({ team }, "the app was uninstalled from a workspace: its desk's Slack traffic stopped (the desk keeps its data)");
  }

  /** Told of each order update a workspace's feed brings (the approval requests the bot follows). */
  onOrder(listener: (ws: Workspace, order: { id: string; status: string }) => void): void {
    this.orderListener = listener;
  }

  /** What a workspace's daily digest is posted with: its desk, its token; undefined once uninstalled. */
  async digestVia(team: string): Promise<{ oms: OmsClient; slack: webApi.WebClient } | undefined> {
    const ws = await this.get(team);
    return ws ? { oms: ws.oms, slack: await ws.slack() } : undefined;
  }

  async stop(): Promise<void> {
    this.started = false;
    this.running.clear();
    await this.o.refresher.stop();
    for (const ws of this.live.values()) ws.feed.stop();
    await Promise.all([...this.live.values()].map((ws) => ws.notifier.stop()));
  }

  /** Once per workspace; a workspace first seen on a request (installed through another bot process) too. */
  private startOne(ws: Workspace): void {
    if (!this.started || this.running.has(ws.team)) return;
    this.running.add(ws.team);
    ws.notifier.start();
    ws.feed.start();
  }

  private async open(team: string): Promise<Workspace | undefined> {
    const installation = await loadInstallation(this.o.db, this.o.box, team);
    if (!installation) return undefined;
    const desk = await findWorkspaceDesk(this.o.db, this.o.box, team);
    if (!desk) return undefined;
    const oms = new OmsClient({ baseUrl: this.o.omsUrl, apiKey: desk.deskKey });
    const logger = this.o.logger.child({ team });
    // The token as stored now (another bot process may have refreshed it); one client per token.
    let client: { token: string; web: webApi.WebClient } | undefined;
    const slack = async (): Promise<webApi.WebClient> => {
      const now = await loadInstallation(this.o.db, this.o.box, team);
      if (!now?.bot) throw new Error('the app is no longer installed in this workspace');
      if (client?.token !== now.bot.token) client = { token: now.bot.token, web: new webApi.WebClient(now.bot.token, this.o.clientOptions) };
      return client.web;
    };
    const notifier = new FillNotifier({
      oms,
      db: this.o.db,
      slack,
      logger,
      pollMs: this.o.fillPollMs,
      team,
    });
    const feed = new FillFeed({ omsUrl: this.o.omsUrl, apiKey: desk.deskKey, onFill: () => notifier.wake(), onOrder: (o) => this.orderListener?.(ws, o), logger });
    const ws: Workspace = { team, desk, oms, notifier, feed, slack };
    // Opened twice at once, or uninstalled meanwhile: the map says what is served.
    const raced = this.live.get(team);
    if (raced) return raced;
    if (this.closing.has(team)) return undefined;
    this.live.set(team, ws);
    this.o.refresher.watch(installation);
    this.startOne(ws);
    return ws;
  }
}
