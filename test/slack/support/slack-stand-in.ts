import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * A local stand-in for the Slack Web API and for response_url endpoints. It records every call with its
 * parsed body, answers like Slack (ok:true with plausible ts/channel/view payloads), and can be told to
 * fail the next N calls to a method (an `ok:false` error, an HTTP 5xx, or a 429 with Retry-After), or
 * answer a method slowly, counting how many of its calls it holds at once.
 * It also plays Socket Mode: apps.connections.open hands out its own ws:// URL, where it says hello
 * and delivers envelopes (`sendEnvelope`), resolving with the payload the app acks them with.
 * And the external file upload: files.getUploadURLExternal hands out an upload URL it serves itself,
 * where it keeps the bytes POSTed (`uploads`); files.completeUploadExternal shares only a file whose
 * bytes arrived.
 */

export interface RecordedCall {
  readonly method: string;
  /** Form fields, with JSON-valued ones (blocks, view, ...) parsed; or the JSON body. */
  readonly body: Record<string, any>;
  /** The Bearer token the caller sent (test tokens only). */
  readonly token: string | undefined;
  /** Epoch ms when the request arrived. */
  readonly at: number;
  /** What the stand-in answered: 200 ok, 200 with an error, 429 or 5xx. */
  readonly outcome: 'ok' | 'error' | 'rate_limited' | 'http_error';
  /** The JSON answered (for ok calls: the ts, channel or view the bot got back). */
  readonly response: Record<string, any>;
}

export interface ResponseUrlPost {
  readonly id: string;
  readonly body: Record<string, any>;
  readonly at: number;
}

/** A token the stand-in issued through OAuth: whose it is and until when it works. */
export interface IssuedToken {
  readonly token: string;
  readonly team: { readonly id: string; readonly name: string };
  readonly botUserId: string;
  readonly installerUserId: string;
  /** Epoch ms; undefined: never expires (no token rotation). */
  readonly expiresAt: number | undefined;
  /** Handed out with it when the token rotates. */
  readonly refreshToken: string | undefined;
  revoked: boolean;
}

/** A file as the stand-in received it through the external upload flow. */
export interface UploadedFile {
  readonly id: string;
  readonly filename: string;
  /** The length the bot announced in files.getUploadURLExternal. */
  readonly length: number;
  bytes: Buffer | undefined;
  /** The channel files.completeUploadExternal shared it in, once it did. */
  channel: string | undefined;
}

export type Failure = { readonly status: 429; readonly retryAfter: number } | { readonly status: 500 | 502 | 503 } | { readonly error: string };

const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

export class SlackStandIn {
  readonly calls: RecordedCall[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly uploads = new Map<string, UploadedFile>();
  private fileCounter = 0;
  private readonly failures = new Map<string, { failure: Failure; left: number }>();
  private readonly delays = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  /** The most calls to each method the stand-in held unanswered at once. */
  readonly maxInFlight = new Map<string, number>();
  private tsCounter = 0;
  private viewCounter = 0;
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly acks = new Map<string, (payload: Record<string, any>) => void>();
  /** The Socket Mode connection of the app, once it connected. */
  socket: WebSocket | undefined;
  /** OAuth: the app whose codes and refresh tokens it takes, and the tokens it issued. */
  private oauthApp: { clientId: string; clientSecret: string; tokenLifetimeSec: number | undefined } | undefined;
  private readonly codes = new Map<string, { team: { id: string; name: string }; user: string }>();
  /** Each with the token lifetime of its installation: a rotating workspace keeps rotating. */
  private readonly refreshTokens = new Map<string, { team: { id: string; name: string }; user: string; lifetime: number }>();
  readonly issued = new Map<string, IssuedToken>();
  private tokenCounter = 0;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {
    server.on('upgrade', (req, socket, head) => {
      this.sockets.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
  }

  /** Listens on `port` (a Slack that comes back where the bot expects it), or on any free one. */
  static async start(opts: { port?: number } = {}): Promise<SlackStandIn> {
    let standIn: SlackStandIn | undefined;
    const server = createServer((req, res) => {
      const method = new URL(req.url ?? '/', 'http://stand-in').pathname.replace(/^\/api\//, '');
      const held = (standIn!.inFlight.get(method) ?? 0) + 1;
      standIn!.inFlight.set(method, held);
      standIn!.maxInFlight.set(method, Math.max(held, standIn!.maxInFlight.get(method) ?? 0));
      void readBody(req).then((raw) => {
        const { status, headers, body } = standIn!.handle(req, raw.toString('utf8'), raw);
        const reply = () => {
          standIn!.inFlight.set(method, standIn!.inFlight.get(method)! - 1);
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        };
        const delay = standIn!.delays.get(method) ?? 0;
        if (delay > 0) setTimeout(reply, delay);
        else reply();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    standIn = new SlackStandIn(server, `http://127.0.0.1:${port}`);
    return standIn;
  }

  /** The Web API base to give the bot (SLACK_API_URL), with its trailing slash. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.baseUrl}/response/${encodeURIComponent(id)}`;
  }

  /** The next `count` calls to `method` fail as described; later ones succeed again. */
  /** Answers calls to `method` only after `ms` (0: at once again), as a slow Slack would. */
  slowDown(method: string, ms: number): void {
    this.delays.set(method, ms);
  }

  failNext(method: string, count: number, failure: Failure): void {
    this.failures.set(method, { failure, left: count });
  }

  callsTo(method: string, outcome: RecordedCall['outcome'] | 'any' = 'ok'): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && (outcome === 'any' || c.outcome === outcome));
  }

  responsesTo(id: string): ResponseUrlPost[] {
    return this.responses.filter((r) => r.id === id);
  }

  async waitForCall(method: string, match: (c: RecordedCall) => boolean = () => true, timeoutMs = 5000): Promise<RecordedCall> {
    return waitFor(() => this.callsTo(method).find(match), timeoutMs, `a successful ${method} call`);
  }

  async waitForResponse(id: string, timeoutMs = 5000): Promise<ResponseUrlPost> {
    return waitFor(() => this.responsesTo(id)[0], timeoutMs, `a POST to response_url ${id}`);
  }

  /** Delivers a Socket Mode envelope (slash_commands, interactive, events_api); resolves with the ack payload. */
  sendEnvelope(type: string, payload: Record<string, unknown>, timeoutMs = 5000): Promise<Record<string, any>> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('no Socket Mode connection'));
    const envelope_id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`envelope ${type} not acked in ${timeoutMs} ms`)), timeoutMs);
      this.acks.set(envelope_id, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      socket.send(JSON.stringify({ envelope_id, type, payload, accepts_response_payload: true }));
    });
  }

  /**
   * Plays Slack's OAuth for one app: oauth.v2.access takes its client id and secret with a code from
   * `grantCode` (the installer's consent) or a refresh token. `tokenLifetimeSec` set: token rotation,
   * each bot token expiring after that many seconds (then refused with token_expired), each refresh
   * token good once. Tokens it issued are answered per token by auth.test (their team, their bot).
   */
  acceptOAuth(app: { clientId: string; clientSecret: string; tokenLifetimeSec?: number }): void {
    this.oauthApp = { clientId: app.clientId, clientSecret: app.clientSecret, tokenLifetimeSec: app.tokenLifetimeSec };
  }

  /** What Slack hands the browser on the redirect after the user approved the install. */
  grantCode(team: { id: string; name: string }, user: string): string {
    const code = `code-${team.id}-${randomUUID()}`;
    this.codes.set(code, { team, user });
    return code;
  }

  /** The tokens issued to a workspace, oldest first. */
  tokensOf(team: string): IssuedToken[] {
    return [...this.issued.values()].filter((t) => t.team.id === team);
  }

  /** What Slack does on uninstall: every token of the workspace stops working. */
  revokeTokensOf(team: string): void {
    for (const t of this.tokensOf(team)) t.revoked = true;
  }

  private issueToken(team: { id: string; name: string }, user: string, lifetime: number | undefined): Record<string, unknown> {
    const n = ++this.tokenCounter;
    const token = `xoxb-${team.id}-${n}-${randomUUID().slice(0, 8)}`;
    const refresh = lifetime === undefined ? undefined : `xoxe-1-${team.id}-${n}-${randomUUID().slice(0, 8)}`;
    this.issued.set(token, {
      refreshToken: refresh,
      token,
      team,
      botUserId: `UBOT${team.id}`,
      installerUserId: user,
      expiresAt: lifetime === undefined ? undefined : Date.now() + lifetime * 1000,
      revoked: false,
    });
    const rotation: Record<string, unknown> = {};
    if (refresh !== undefined && lifetime !== undefined) {
      this.refreshTokens.set(refresh, { team, user, lifetime });
      Object.assign(rotation, { refresh_token: refresh, expires_in: lifetime });
    }
    return { access_token: token, token_type: 'bot', ...rotation };
  }

  private oauthAccess(body: Record<string, any>): Record<string, unknown> {
    const app = this.oauthApp;
    if (!app || body.client_id !== app.clientId) return { ok: false, error: 'invalid_client_id' };
    if (body.client_secret !== app.clientSecret) return { ok: false, error: 'bad_client_secret' };
    const refreshing = body.grant_type === 'refresh_token' ? this.refreshTokens.get(body.refresh_token) : undefined;
    const grant = body.grant_type === 'refresh_token' ? refreshing : this.codes.get(body.code);
    if (!grant) return { ok: false, error: body.grant_type === 'refresh_token' ? 'invalid_refresh_token' : 'invalid_code' };
    // Each is good once: a code is exchanged once, a refresh token is rotated.
    if (body.grant_type === 'refresh_token') this.refreshTokens.delete(body.refresh_token);
    else this.codes.delete(body.code);
    return {
      ok: true,
      app_id: 'A1',
      authed_user: { id: grant.user },
      scope: 'commands,chat:write,chat:write.public,files:write',
      bot_user_id: `UBOT${grant.team.id}`,
      team: grant.team,
      enterprise: null,
      is_enterprise_install: false,
      ...this.issueToken(grant.team, grant.user, refreshing ? refreshing.lifetime : app.tokenLifetimeSec),
    };
  }

  private onSocket(ws: WebSocket): void {
    this.socket = ws;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { envelope_id?: string; payload?: Record<string, any> };
      if (message.envelope_id) this.acks.get(message.envelope_id)?.(message.payload ?? {});
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A1' }, debug_info: { host: 'stand-in' } }));
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets.clients) ws.terminate();
    this.sockets.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, raw: string, bytes: Buffer): { status: number; headers?: Record<string, string>; body: unknown } {
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (url.pathname.startsWith('/upload/')) {
      const file = this.uploads.get(decodeURIComponent(url.pathname.slice('/upload/'.length)));
      if (!file || req.method !== 'POST') return { status: 404, body: { ok: false } };
      file.bytes = bytes;
      return { status: 200, body: 'OK - ' + bytes.length };
    }
    const contentType = req.headers['content-type'] ?? '';
    const body = parseBody(raw, contentType);
    const at = Date.now();

    if (url.pathname.startsWith('/response/')) {
      this.responses.push({ id: decodeURIComponent(url.pathname.slice('/response/'.length)), body, at });
      return { status: 200, body: 'ok' };
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? (typeof body.token === 'string' ? body.token : undefined);
    const record = (outcome: RecordedCall['outcome'], response: Record<string, any>) => {
      this.calls.push({ method, body, token, at, outcome, response });
      return response;
    };

    // A token the stand-in issued works for its life and until revoked; other test tokens always do.
    const issued = token === undefined ? undefined : this.issued.get(token);
    if (issued && method !== 'oauth.v2.access') {
      if (issued.revoked) return { status: 200, body: record('error', { ok: false, error: 'token_revoked' }) };
      if (issued.expiresAt !== undefined && Date.now() >= issued.expiresAt) return { status: 200, body: record('error', { ok: false, error: 'token_expired' }) };
    }
    if (method === 'oauth.v2.access') {
      const answer = this.oauthAccess(body);
      return { status: 200, body: record(answer.ok ? 'ok' : 'error', answer) };
    }
    if (issued && method === 'auth.test') {
      return {
        status: 200,
        body: record('ok', { ok: true, url: `https://${issued.team.id.toLowerCase()}.slack.com/`, team: issued.team.name, user: 'paperbot', team_id: issued.team.id, user_id: issued.botUserId, bot_id: `B${issued.team.id}` }),
      };
    }

    const planned = this.failures.get(method);
    if (planned && planned.left > 0) {
      planned.left--;
      const f = planned.failure;
      if ('error' in f) return { status: 200, body: record('error', { ok: false, error: f.error }) };
      if (f.status === 429) {
        return { status: 429, headers: { 'retry-after': String(f.retryAfter) }, body: record('rate_limited', { ok: false, error: 'ratelimited' }) };
      }
      return { status: f.status, body: record('http_error', { ok: false, error: 'internal_error' }) };
    }
    return { status: 200, body: record('ok', this.answer(method, body)) };
  }

  private answer(method: string, body: Record<string, any>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://paper-desk.slack.com/', team: 'Paper Desk', user: 'paperbot', team_id: 'T1', user_id: 'UBOT', bot_id: 'BBOT' };
      case 'chat.postMessage': {
        const ts = this.nextTs();
        return { ok: true, channel: body.channel, ts, message: { type: 'message', text: body.text, ts, thread_ts: body.thread_ts, bot_id: 'BBOT' } };
      }
      case 'files.getUploadURLExternal': {
        const id = `F${String(++this.fileCounter).padStart(8, '0')}`;
        this.uploads.set(id, { id, filename: String(body.filename), length: Number(body.length), bytes: undefined, channel: undefined });
        return { ok: true, upload_url: `${this.baseUrl}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = (typeof body.files === 'string' ? JSON.parse(body.files) : body.files) as { id: string; title?: string }[];
        const uploaded = files.map((f) => this.uploads.get(f.id));
        if (uploaded.some((f) => f?.bytes === undefined)) return { ok: false, error: 'file_not_found' };
        for (const f of uploaded) f!.channel = body.channel_id;
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) };
      }
      case 'apps.connections.open':
        return { ok: true, url: `${this.baseUrl.replace(/^http/, 'ws')}/socket` };
      case 'chat.update':
        return { ok: true, channel: body.channel, ts: body.ts, text: body.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'views.open':
      case 'views.push':
      case 'views.update':
      case 'views.publish':
        return { ok: true, view: { id: `V${String(++this.viewCounter).padStart(6, '0')}`, ...(body.view ?? {}) } };
      default:
        return { ok: true };
    }
  }

  /** Slack ts values: seconds.micro-ish, unique and increasing. */
  private nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(++this.tsCounter).padStart(6, '0')}`;
  }
}

function parseBody(raw: string, contentType: string): Record<string, any> {
  if (raw === '') return {};
  if (contentType.includes('application/json')) return JSON.parse(raw) as Record<string, any>;
  const out: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    out[k] = JSON_FIELDS.has(k) && /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Polls until `probe` returns (or resolves to) a value; fails naming what it was waiting for. */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000, what = 'a condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
