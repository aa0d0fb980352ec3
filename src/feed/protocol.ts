import { z } from 'zod';
import { text } from '../wire/text.js';

/**
 * Client-to-server frames of the feed (docs/feed.md). Every string is `text()`, as on the REST API:
 * a channel names a portfolio that lands in audit rows, and an id is echoed back.
 */
const id = z.union([text({ max: 64 }), z.number()]).optional();
const channel = text({ min: 1, max: 120 });

export const clientFrame = z.discriminatedUnion('op', [
  z.object({ op: z.literal('subscribe'), channel, id }),
  z.object({ op: z.literal('unsubscribe'), channel, id }),
  z.object({ op: z.literal('auth'), api_key: text({ min: 1, max: 200 }), id }),
  z.object({ op: z.literal('ping'), id }),
]);

export type ClientFrame = z.infer<typeof clientFrame>;

/**
 * A frame's `id` even when the frame itself is refused, so the error still answers the request it
 * refuses (when that id is one a valid frame could carry).
 */
function idOf(value: unknown): { id?: string | number } {
  if (typeof value !== 'object' || value === null || !('id' in value)) return {};
  const parsed = id.safeParse((value as { id: unknown }).id);
  return parsed.success && parsed.data !== undefined ? { id: parsed.data } : {};
}

export function parseClientFrame(
  text: string | null,
): { ok: true; frame: ClientFrame } | { ok: false; message: string; id?: string | number } {
  if (text === null) return { ok: false, message: 'frames must be JSON text, not binary' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'the frame is not valid JSON' };
  }
  const result = clientFrame.safeParse(value);
  if (result.success) return { ok: true, frame: result.data };
  const issue = result.error.issues[0];
  const path = issue.path.join('.');
  return {
    ok: false,
    ...idOf(value),
    message: `${path ? `${path}: ` : ''}${issue.message}; expected {"op":"subscribe"|"unsubscribe","channel":...}, {"op":"auth","api_key":...} or {"op":"ping"}`,
  };
}
