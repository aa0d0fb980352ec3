import { httpRequest, type HttpResponse, IncompleteResponseError } from './keep-alive-http.js';
import type {
  BookSnapshot,
  EquityCurve,
  ChannelGrants,
  Member,
  MemberView,
  Role,
  DeskRiskChange,
  PortfolioRiskChange,
  RiskState,
  Instrument,
  Leaderboard,
  NewOrder,
  Order,
  Page,
  PortfolioListItem,
  PortfolioSummary,
  SimpleTrade,
  SimpleTradeResult,
  Trade,
} from './oms-types.js';

/**
 * A failed OMS call, coded. `code` is the OMS's own error code (UNKNOWN_SYMBOL, INSUFFICIENT_CASH, ...)
 * when it answered with its error JSON, or one of the client's codes:
 * - OMS_UNREACHABLE: no connection (nothing reached the OMS, so nothing happened there);
 * - OMS_CONNECTION_LOST: the connection dropped after the request went out, before any answer (the
 *   request may or may not have taken effect);
 * - OMS_TIMEOUT: no answer in time (the request may or may not have taken effect);
 * - OMS_BAD_RESPONSE: an answer that is not the documented JSON, or one cut off (the request reached
 *   the OMS, which may have acted on it).
 */
export class OmsClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    readonly details: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
    this.name = 'OmsClientError';
  }
}

export const isOmsError = (e: unknown, code?: string): e is OmsClientError =>
  e instanceof OmsClientError && (code === undefined || e.code === code);

export interface OmsClientOptions {
  readonly baseUrl: string;
  /**
   * The key, or where to find it per call: a bot installed in many workspaces acts in each with the
   * key of that workspace's desk (see workspaces/workspaces.ts), and has none outside one.
   */
  readonly apiKey: string | (() => string);
  /** Per request; Slack users wait on these calls, so keep it short. */
  readonly timeoutMs?: number;
}

/** The Slack user a call is made for, and the channel they typed it in (none from App Home). */
export interface SlackMember {
  readonly team: string;
  readonly user: string;
  readonly channel?: string;
}

export const memberId = (team: string, user: string): string => `slack:${team}:${user}`;

type Query = Record<string, string | number | undefined>;

/** Network errors raised before a request could leave: nothing reached the OMS. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** The REST calls the bot makes, typed after docs/api.md. */
export class OmsClient {
  private readonly baseUrl: string;
  private readonly apiKey: string | (() => string);
  private readonly timeoutMs: number;

  constructor(
    private readonly options: OmsClientOptions,
    /** On-Behalf-Of and On-Behalf-Channel: the OMS answers with this member's role and grants. */
    private readonly onBehalf: Readonly<Record<string, string>> = {},
  ) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The same OMS, called for a Slack user: every command a user gives goes through one of these. */
  as(who: SlackMember): OmsClient {
    const headers: Record<string, string> = { 'on-behalf-of': memberId(who.team, who.user) };
    // A ticket opened without a channel confirms in the user's DM, which is no channel of the desk.
    if (who.channel && who.channel !== who.user) headers['on-behalf-channel'] = who.channel;
    return new OmsClient(this.options, headers);
  }

  /** The desk's view of a Slack user: their role (null: no member), the desk's admins. */
  async getMember(id: string): Promise<MemberView> {
    return (await this.request<MemberView>('GET', `/members/${encodeURIComponent(id)}`)).body;
  }

  async listMembers(): Promise<Member[]> {
    return (await this.request<{ data: Member[] }>('GET', '/members')).body.data;
  }

  async setRole(id: string, role: Role): Promise<Member> {
    return (await this.request<Member>('PUT', `/members/${encodeURIComponent(id)}`, { body: { role } })).body;
  }

  async removeMember(id: string): Promise<Member> {
    return (await this.request<Member>('DELETE', `/members/${encodeURIComponent(id)}`)).body;
  }

  async grantChannel(channel: string, portfolio: string, grant: boolean): Promise<ChannelGrants> {
    const path = `/channels/${encodeURIComponent(channel)}/portfolios/${encodeURIComponent(portfolio)}`;
    return (await this.request<ChannelGrants>(grant ? 'PUT' : 'DELETE', path)).body;
  }

  async allowTrading(channel: string, allow: boolean): Promise<ChannelGrants> {
    return (await this.request<ChannelGrants>(allow ? 'PUT' : 'DELETE', `/channels/${encodeURIComponent(channel)}/trading`)).body;
  }

  async listChannels(): Promise<{ data: ChannelGrants[]; trading_channels: string[] }> {
    return (await this.request<{ data: ChannelGrants[]; trading_channels: string[] }>('GET', '/channels')).body;
  }

  /** `replayed` is true when the OMS returned the original order of a repeated client_order_id (200, not 201). */
  async placeOrder(order: NewOrder): Promise<{ order: Order; replayed: boolean }> {
    const { status, body } = await this.request<Order>('POST', '/orders', { body: order });
    return { order: body, replayed: status === 200 };
  }

  /** `replayed` is true when the OMS answered a repeated client_order_id with the original outcome (200, not 201). */
  async trade(request: SimpleTrade): Promise<{ result: SimpleTradeResult; replayed: boolean }> {
    const { status, body } = await this.request<SimpleTradeResult>('POST', '/trade', { body: request });
    return { result: body, replayed: status === 200 && body.success };
  }

  async getOrder(id: string): Promise<Order> {
    return (await this.request<Order>('GET', `/orders/${encodeURIComponent(id)}`)).body;
  }

  async listOrders(query: { portfolio?: string; symbol?: string; status?: string; limit?: number; cursor?: string }): Promise<Page<Order>> {
    return (await this.request<Page<Order>>('GET', '/orders', { query })).body;
  }

  /** Approves an order awaiting approval for a member (the OMS refuses its placer and non-approvers). */
  async approveOrder(id: string): Promise<Order> {
    return (await this.request<Order>('POST', `/orders/${encodeURIComponent(id)}/approve`, { body: {} })).body;
  }

  async rejectOrder(id: string, reason?: string): Promise<Order> {
    return (await this.request<Order>('POST', `/orders/${encodeURIComponent(id)}/reject`, { body: reason === undefined ? {} : { reason } })).body;
  }

  /** Halts, resumes or sets reduce-only the desk (portfolio undefined) or one portfolio. */
  async setRiskState(portfolio: string | undefined, state: RiskState, cancelOpenOrders: boolean): Promise<DeskRiskChange | PortfolioRiskChange> {
    const path = portfolio === undefined ? '/desk/risk-state' : `/portfolios/${encodeURIComponent(portfolio)}/risk-state`;
    return (await this.request<DeskRiskChange | PortfolioRiskChange>('PUT', path, { body: { state, cancel_open_orders: cancelOpenOrders } })).body;
  }

  async cancelOrder(id: string): Promise<Order> {
    return (await this.request<Order>('DELETE', `/orders/${encodeURIComponent(id)}`)).body;
  }

  /** With `since_id`: trades after that id, ascending. Without: newest first. */
  async listTrades(query: { since_id?: string; limit?: number; order_id?: string }): Promise<Page<Trade>> {
    return (await this.request<Page<Trade>>('GET', '/trades', { query })).body;
  }

  async getTrade(tradeId: string): Promise<Trade> {
    return (await this.request<Trade>('GET', `/trades/${encodeURIComponent(tradeId)}`)).body;
  }

  async listPortfolios(): Promise<PortfolioListItem[]> {
    return (await this.request<{ data: PortfolioListItem[] }>('GET', '/portfolios')).body.data;
  }

  async getPortfolio(name: string): Promise<PortfolioSummary> {
    return (await this.request<PortfolioSummary>('GET', `/portfolio/${encodeURIComponent(name)}`)).body;
  }

  /** An instrument as GET /instruments lists it (its source, market status and session), or null. */
  async getInstrument(symbol: string): Promise<Instrument | null> {
    const all = (await this.request<{ data: Instrument[] }>('GET', '/instruments')).body.data;
    return all.find((i) => i.symbol === symbol.toUpperCase()) ?? null;
  }

  async getBook(symbol: string, depth = 1): Promise<BookSnapshot> {
    return (await this.request<BookSnapshot>('GET', `/book/${encodeURIComponent(symbol)}`, { query: { depth } })).body;
  }

  /** The desk's portfolios ranked by return over the period (those the bot's key may read). */
  async leaderboard(period: string): Promise<Leaderboard> {
    return (await this.request<Leaderboard>('GET', '/leaderboard', { query: { period } })).body;
  }

  async equityCurve(name: string, period: string): Promise<EquityCurve> {
    return (await this.request<EquityCurve>('GET', `/portfolios/${encodeURIComponent(name)}/equity`, { query: { period } })).body;
  }

  /**
   * A new desk and its first admin key, which may also act for the desk's members (act_as), as the
   * bot's key must. Operator scope; the key is shown once and never logged.
   */
  async createDesk(name: string): Promise<{ desk: { id: number; name: string }; admin_key: string }> {
    return (await this.request<{ desk: { id: number; name: string }; admin_key: string }>('POST', '/desks', { body: { name, act_as: true } })).body;
  }

  private async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<{ status: number; body: T }> {
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const apiKey = typeof this.apiKey === 'string' ? this.apiKey : this.apiKey();
    const headers: Record<string, string> = { 'x-api-key': apiKey, accept: 'application/json', ...this.onBehalf };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';

    let response: HttpResponse;
    try {
      response = await httpRequest(url.href, {
        method,
        headers,
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
        timeoutMs: this.timeoutMs,
      });
    } catch (e) {
      if (e instanceof IncompleteResponseError) {
        throw new OmsClientError('OMS_BAD_RESPONSE', `the OMS answered ${method} ${path} with ${e.status}, but the answer was cut off`, e.status);
      }
      if ((e as { name?: unknown } | null)?.name === 'TimeoutError') {
        throw new OmsClientError('OMS_TIMEOUT', `the OMS did not answer ${method} ${path} within ${this.timeoutMs} ms`);
      }
      const cause = describeCause(e);
      // A connection that was refused or never found carried nothing; one dropped after the request
      // went out may have carried it to an OMS that acted on it.
      if (NOT_SENT.has(cause)) throw new OmsClientError('OMS_UNREACHABLE', `the OMS at ${this.baseUrl} is unreachable (${cause})`);
      throw new OmsClientError('OMS_CONNECTION_LOST', `the connection to the OMS was lost during ${method} ${path} (${cause})`);
    }

    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new OmsClientError('OMS_BAD_RESPONSE', `the OMS answered ${method} ${path} with ${response.status} and no JSON`, response.status);
    }
    const ok = response.status >= 200 && response.status < 300;
    if (ok) return { status: response.status, body: body as T };
    throw toOmsError(body, response.status, `${method} ${path}`);
  }
}

function toOmsError(body: unknown, status: number, call: string): OmsClientError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string') {
    const details = Array.isArray(error.details) ? (error.details as { path: string; message: string }[]) : [];
    return new OmsClientError(error.code, typeof error.message === 'string' ? error.message : error.code, status, details);
  }
  return new OmsClientError('OMS_BAD_RESPONSE', `the OMS answered ${call} with ${status} without an error body`, status);
}

function describeCause(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  return err?.code ?? err?.cause?.code ?? err?.message ?? String(e);
}
