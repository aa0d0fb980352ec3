import { z } from 'zod';

/** Client-to-server frames of the feed (docs/feed.md). */
const id = z.union([z.string().max(64), z.number()]).optional();

export const clientFrame = z.discriminatedUnion('op', [
  z.object({ op: z.literal('subscribe'), channel: z.string().min(1).max(120), id }),
  z.object({ op: z.literal('unsubscribe'), channel: z.string().min(1).max(120), id }),
  z.object({ op: z.literal('auth'), api_key: z.string().min(1).max(200), id }),
  z.object({ op: z.literal('ping'), id }),
]);

export type ClientFrame = z.infer<typeof clientFrame>;

export function parseClientFrame(text: string | null): { ok: true; frame: ClientFrame } | { ok: false; message: string } {
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
    message: `${path ? `${path}: ` : ''}${issue.message}; expected {"op":"subscribe"|"unsubscribe","channel":...}, {"op":"auth","api_key":...} or {"op":"ping"}`,
  };
}
