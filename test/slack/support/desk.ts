import { startTestOms } from '../../support/oms.js';
import { type RunningBot, SIGNING_SECRET, startBot } from './bot-harness.js';
import { blockActions, type ButtonClick, CHANNEL, eventCallback, type SentResponse, send, slashCommand, TEAM, USER, viewSubmission, type ViewSubmission } from './signed-request.js';
import { SlackStandIn } from './slack-stand-in.js';

export type TestOms = Awaited<ReturnType<typeof startTestOms>>;

/**
 * A whole desk for an integration test: a real OMS on a fresh database, the Slack stand-in, and the
 * bot between them (its OMS key is the admin key; its tables live in the OMS's database).
 */
export class Desk {
  private constructor(
    readonly oms: TestOms,
    readonly standIn: SlackStandIn,
    public bot: RunningBot,
  ) {}

  static async start(opts: { defaultPortfolio?: string; omsEnv?: Record<string, string> } = {}): Promise<Desk> {
    const { omsEnv, ...botOpts } = opts;
    const oms = await startTestOms(omsEnv ? { env: omsEnv } : {});
    const standIn = await SlackStandIn.start();
    const bot = await startBot({ standIn, omsUrl: oms.baseUrl, omsApiKey: oms.adminKey, databaseUrl: oms.databaseUrl, ...botOpts });
    return new Desk(oms, standIn, bot);
  }

  /** Replaces the bot by a new one on the same database (a restart of the bot service). */
  async restartBot(between?: () => Promise<void>): Promise<void> {
    await this.bot.stop();
    await between?.();
    this.bot = await startBot({ standIn: this.standIn, omsUrl: this.oms.baseUrl, omsApiKey: this.oms.adminKey, databaseUrl: this.oms.databaseUrl });
  }

  async stop(): Promise<void> {
    await this.bot?.stop().catch(() => undefined);
    await this.standIn?.stop();
    await this.oms?.stop();
  }

  /** The OMS REST API with the admin key; throws on an unexpected status. */
  async rest<T = any>(method: string, path: string, body?: unknown, expected: number[] = [200, 201]): Promise<T> {
    const res = await fetch(`${this.oms.baseUrl}/api/v1${path}`, {
      method,
      headers: { 'x-api-key': this.oms.adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T;
    if (!expected.includes(res.status)) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  }

  createPortfolio(name: string, startingCash = '1000000', allowShort = false): Promise<unknown> {
    return this.rest('POST', '/portfolios', { name, starting_cash: startingCash, allow_short: allowShort });
  }

  /** An order from outside Slack (a script): the other side of the Slack users' trades. */
  placeDirect(order: { portfolio_name: string; symbol: string; side: 'BUY' | 'SELL'; quantity: number; type?: string; limit_price?: string; time_in_force?: string }): Promise<any> {
    return this.rest('POST', '/orders', { type: 'LIMIT', time_in_force: 'GTC', ...order });
  }

  setReferencePrice(symbol: string, price: string): Promise<unknown> {
    return this.rest('PUT', `/instruments/${symbol}/price`, { price });
  }

  /** Sends a signed slash command; `replyId` names its response_url at the stand-in. */
  command(command: string, text: string, replyId: string, fields: { trigger_id?: string; channel_id?: string; user_id?: string } = {}): Promise<SentResponse> {
    return send(this.bot.eventsUrl, slashCommand(SIGNING_SECRET, { command, text, response_url: this.standIn.responseUrl(replyId), ...fields }));
  }

  click(click: Omit<ButtonClick, 'response_url'> & { replyId: string }): Promise<SentResponse> {
    return send(this.bot.eventsUrl, blockActions(SIGNING_SECRET, { ...click, response_url: this.standIn.responseUrl(click.replyId) }));
  }

  submitView(submission: ViewSubmission): Promise<SentResponse> {
    return send(this.bot.eventsUrl, viewSubmission(SIGNING_SECRET, submission));
  }

  event(event: Record<string, unknown>): Promise<SentResponse> {
    return send(this.bot.eventsUrl, eventCallback(SIGNING_SECRET, event));
  }

  /** Open orders of a portfolio, as the OMS has them. */
  async openOrders(portfolio: string): Promise<any[]> {
    return (await this.rest<{ data: any[] }>('GET', `/orders?portfolio=${encodeURIComponent(portfolio)}&status=open&limit=500`)).data;
  }

  async ordersOf(portfolio: string): Promise<any[]> {
    return (await this.rest<{ data: any[] }>('GET', `/orders?portfolio=${encodeURIComponent(portfolio)}&limit=500`)).data;
  }

  /** The bot's own rows, read straight from its table. */
  async orderMessage(orderId: string): Promise<{ channel_id: string; message_ts: string | null } | undefined> {
    const { rows } = await this.bot.bot.db.query('SELECT channel_id, message_ts FROM slack_order_messages WHERE order_id = $1', [orderId]);
    return rows[0];
  }
}

export { CHANNEL, TEAM, USER };
