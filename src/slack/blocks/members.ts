import type { types } from '@slack/bolt';
import type { Member, MemberView } from '../oms-types.js';
import { escapeMrkdwn } from './format.js';
import { mrkdwn, plain } from './message.js';

/** `slack:TEAM:USER` (or `slack:*:USER`, an admin named by SLACK_ADMIN_USERS) as a Slack mention. */
const MEMBER = /slack:(?:[A-Z0-9]+|\*):([A-Z0-9]+)/g;

/** Escaped text with every member id in it turned into a mention (ids hold nothing to escape). */
export function withMentions(escaped: string): string {
  return escaped.replace(MEMBER, '<@$1>');
}

export const mention = (memberId: string): string => withMentions(memberId);

const list = (ids: readonly string[]): string => ids.map(mention).join(', ');

/** One line saying what the user is on this desk and whom to ask for more. */
export function describeAccess(view: MemberView): string {
  if (!view.desk_has_members) return 'This desk has no members yet: run `/desk` to become its admin.';
  if (view.role === null) return `You are not a member of this desk. Ask an admin to add you: ${list(view.admins) || 'none yet'}.`;
  const grants = view.portfolios.length > 0 ? ` Your own portfolios: ${view.portfolios.map((p) => `*${escapeMrkdwn(p)}*`).join(', ')}.` : '';
  return `Your role on this desk: *${view.role}*.${grants} Admins: ${list(view.admins)}.`;
}

/** Slack allows 100 blocks in a view; the list stays well inside. */
export const MAX_LISTED_MEMBERS = 40;

export function memberBlocks(members: readonly Member[]): types.KnownBlock[] {
  return [
    { type: 'header', text: plain('Members') },
    ...(members.length === 0
      ? [{ type: 'context' as const, elements: [mrkdwn('No members yet.')] }]
      : members.slice(0, MAX_LISTED_MEMBERS).map((m) => ({
          type: 'section' as const,
          text: mrkdwn(`${mention(m.member)}  ·  *${m.role}*${m.portfolios.length ? `  ·  ${m.portfolios.map(escapeMrkdwn).join(', ')}` : ''}`),
        }))),
    { type: 'context', elements: [mrkdwn('Change with `/desk role @user viewer|trader|approver|admin` or `/desk remove @user`.')] },
  ];
}
