import { escapeMrkdwn } from './format.js';
import { type MessageContent, mrkdwn } from './message.js';
import { withMentions } from './members.js';

/**
 * The ephemeral answer to anything that went wrong: what happened, then how to do it right. Both are
 * escaped: they quote user input and OMS messages, and Slack would read `<...>` as a link or mention.
 */
export function buildErrorReply(problem: string, usage?: string): MessageContent {
  return {
    text: usage ? `${problem}\n${usage}` : problem,
    blocks: [
      // A refusal names the desk's admins as member ids: shown as mentions, so the user sees whom to ask.
      { type: 'section', text: mrkdwn(`:warning: ${withMentions(escapeMrkdwn(problem))}`) },
      ...(usage ? [{ type: 'section' as const, text: mrkdwn(escapeMrkdwn(usage)) }] : []),
    ],
  };
}

export function buildInfoReply(message: string): MessageContent {
  return { text: message, blocks: [{ type: 'section', text: mrkdwn(message) }] };
}

/** A message with a note of ours under it (text and blocks alike). */
export function withNote(message: MessageContent, note: string): MessageContent {
  return { text: `${message.text}\n${note}`, blocks: [...message.blocks, ...buildInfoReply(note).blocks] };
}
