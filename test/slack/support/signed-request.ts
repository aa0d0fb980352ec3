import { createHmac, randomUUID } from 'node:crypto';

/**
 * Requests as Slack sends them, signed: `v0=` + hex HMAC-SHA256(signing secret, `v0:${ts}:${body}`)
 * in X-Slack-Signature, the timestamp in X-Slack-Request-Timestamp. Slash commands are form-encoded,
 * interactive payloads are one form field `payload=<json>`, events are JSON.
 */

export interface SignedRequest {
  readonly body: string;
  readonly headers: Record<string, string>;
}

export interface SignOptions {
  /** Unix seconds; default now. Older than 5 minutes is stale for Bolt. */
  readonly timestamp?: number;
  /** Sign with this secret instead (a wrong one gives a bad signature). */
  readonly secret?: string;
}

export const TEAM = 'T1';
export const CHANNEL = 'C1';
export const USER = 'U1';

export function signature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function signed(secret: string, body: string, contentType: string, opts: SignOptions): SignedRequest {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    body,
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature(opts.secret ?? secret, timestamp, body),
    },
  };
}

export interface SlashCommandFields {
  readonly command: string;
  readonly text?: string;
  readonly response_url: string;
  readonly team_id?: string;
  readonly channel_id?: string;
  readonly user_id?: string;
  readonly trigger_id?: string;
}

export function slashCommand(secret: string, fields: SlashCommandFields, opts: SignOptions = {}): SignedRequest {
  const form = new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: fields.team_id ?? TEAM,
    team_domain: 'paper-desk',
    channel_id: fields.channel_id ?? CHANNEL,
    channel_name: 'trading',
    user_id: fields.user_id ?? USER,
    user_name: 'trader',
    command: fields.command,
    text: fields.text ?? '',
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? `trigger-${randomUUID()}`,
  });
  return signed(secret, form.toString(), 'application/x-www-form-urlencoded', opts);
}

function interactive(secret: string, payload: object, opts: SignOptions): SignedRequest {
  return signed(secret, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded', opts);
}

export interface ButtonClick {
  readonly actionId: string;
  readonly value: string;
  readonly blockId?: string;
  readonly response_url: string;
  /** Where the button was: an (ephemeral) message in a channel, or the App Home view. */
  readonly container: { type: 'message'; is_ephemeral?: boolean; message_ts?: string } | { type: 'view'; view_id: string };
  readonly user_id?: string;
  readonly channel_id?: string;
}

export function blockActions(secret: string, click: ButtonClick, opts: SignOptions = {}): SignedRequest {
  const user = click.user_id ?? USER;
  const onView = click.container.type === 'view';
  return interactive(
    secret,
    {
      type: 'block_actions',
      team: { id: TEAM, domain: 'paper-desk' },
      user: { id: user, username: 'trader', name: 'trader', team_id: TEAM },
      api_app_id: 'A1',
      token: 'deprecated-verification-token',
      trigger_id: `trigger-${randomUUID()}`,
      response_url: click.response_url,
      container: { ...click.container, ...(onView ? {} : { channel_id: click.channel_id ?? CHANNEL }) },
      ...(onView ? { view: { id: (click.container as { view_id: string }).view_id, type: 'home' } } : { channel: { id: click.channel_id ?? CHANNEL, name: 'trading' } }),
      ...(click.container.type === 'message' && click.container.message_ts ? { message: { type: 'message', ts: click.container.message_ts } } : {}),
      actions: [
        {
          type: 'button',
          action_id: click.actionId,
          block_id: click.blockId ?? 'block',
          value: click.value,
          text: { type: 'plain_text', text: 'Cancel' },
          action_ts: `${Date.now() / 1000}`,
        },
      ],
    },
    opts,
  );
}

export interface ViewSubmission {
  readonly callbackId: string;
  readonly values: Record<string, Record<string, Record<string, unknown>>>;
  readonly privateMetadata?: string;
  readonly viewId?: string;
  readonly user_id?: string;
}

export function viewSubmission(secret: string, submission: ViewSubmission, opts: SignOptions = {}): SignedRequest {
  return interactive(
    secret,
    {
      type: 'view_submission',
      team: { id: TEAM, domain: 'paper-desk' },
      user: { id: submission.user_id ?? USER, username: 'trader', name: 'trader', team_id: TEAM },
      api_app_id: 'A1',
      token: 'deprecated-verification-token',
      trigger_id: `trigger-${randomUUID()}`,
      view: {
        id: submission.viewId ?? `V${randomUUID().slice(0, 8)}`,
        team_id: TEAM,
        type: 'modal',
        callback_id: submission.callbackId,
        private_metadata: submission.privateMetadata ?? '',
        hash: 'h1',
        state: { values: submission.values },
        blocks: [],
      },
      response_urls: [],
    },
    opts,
  );
}

/** An Events API callback; from workspace `opts.team` (default TEAM). */
export function eventCallback(secret: string, event: Record<string, unknown>, opts: SignOptions & { readonly team?: string } = {}): SignedRequest {
  const team = opts.team ?? TEAM;
  const body = JSON.stringify({
    token: 'deprecated-verification-token',
    team_id: team,
    api_app_id: 'A1',
    type: 'event_callback',
    event_id: `Ev${randomUUID().slice(0, 8)}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: team, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    event,
  });
  return signed(secret, body, 'application/json', opts);
}

export interface SentResponse {
  readonly status: number;
  readonly text: string;
  /** Time to the response (the ack), ms. */
  readonly ms: number;
  json<T = any>(): T;
}

export async function send(url: string, request: SignedRequest): Promise<SentResponse> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await res.text();
  const ms = performance.now() - started;
  return { status: res.status, text, ms, json: () => JSON.parse(text) };
}
