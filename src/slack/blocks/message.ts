import type { types } from '@slack/bolt';

export type Block = types.KnownBlock;

/** A message body: `text` is the notification and screen-reader fallback, `blocks` what people see. */
export interface MessageContent {
  readonly text: string;
  readonly blocks: Block[];
}

export const mrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text });
export const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text, emoji: true });
