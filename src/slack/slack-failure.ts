/**
 * What a failed Slack Web API call means for a retry. The WebClient is configured to reject 429s at
 * once (rejectRateLimitedCalls) and to retry other failures only briefly, so callers that must not
 * lose a message (the fill notifier) keep it in PostgreSQL and try again on a later pass.
 */
export type SlackFailure =
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number }
  | { readonly kind: 'permanent'; readonly code: string }
  | { readonly kind: 'transient'; readonly code: string };

/** Answers that will not change by retrying the same call. */
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'restricted_action',
  'msg_too_long',
  'invalid_blocks',
  'invalid_blocks_format',
  'no_text',
  'too_many_attachments',
  'cannot_reply_to_message',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
]);

export function classifySlackFailure(error: unknown): SlackFailure {
  const e = error as { code?: unknown; retryAfter?: unknown; data?: { error?: unknown }; statusCode?: unknown } | null;
  if (e?.code === 'slack_webapi_rate_limited_error') {
    const seconds = typeof e.retryAfter === 'number' && e.retryAfter > 0 ? e.retryAfter : 1;
    return { kind: 'rate_limited', retryAfterMs: seconds * 1000 };
  }
  if (e?.code === 'slack_webapi_platform_error' && typeof e.data?.error === 'string') {
    const code = e.data.error;
    if (code === 'ratelimited') return { kind: 'rate_limited', retryAfterMs: 1000 };
    return PERMANENT.has(code) ? { kind: 'permanent', code } : { kind: 'transient', code };
  }
  if (e?.code === 'slack_webapi_http_error') return { kind: 'transient', code: `http_${String(e.statusCode)}` };
  return { kind: 'transient', code: typeof e?.code === 'string' ? e.code : 'request_failed' };
}
