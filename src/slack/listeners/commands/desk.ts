import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { buildErrorReply, buildInfoReply } from '../../blocks/error-reply.js';
import { escapeMrkdwn } from '../../blocks/format.js';
import { describeAccess, memberBlocks, mention } from '../../blocks/members.js';
import { DESK_USAGE, parseDesk, type DeskIntent } from '../../commands/desk-grammar.js';
import type { SlackDeps } from '../../deps.js';
import { memberId, type OmsClient } from '../../oms-client.js';
import { replyEphemeral, replyError } from '../replies.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/**
 * `/desk`: members, roles and channel grants, all through the OMS acting for the user, which refuses
 * what their role does not allow (the refusal names the desk's admins). On a desk without members,
 * the first user to run it becomes its admin.
 */
export function deskCommand(deps: SlackDeps) {
  return async ({ command, ack, respond }: Args): Promise<void> => {
    const parsed = parseDesk(command.text ?? '');
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', ...buildErrorReply(parsed.error, DESK_USAGE) });
      return;
    }
    const intent = parsed.value;
    if (intent.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...buildInfoReply(DESK_USAGE) });
      return;
    }
    await ack();
    const team = command.team_id;
    const oms = deps.oms.as({ team, user: command.user_id, channel: command.channel_id });
    await deps.work.run(async () => {
      try {
        const me = memberId(team, command.user_id);
        let view = await oms.getMember(me);
        let claimed = '';
        if (!view.desk_has_members) {
          await oms.setRole(me, 'admin');
          view = await oms.getMember(me);
          claimed = 'This desk had no members, so you are its first, and its admin. ';
        }
        const done = await run(oms, team, intent, describeAccess(view));
        await replyEphemeral(respond, deps.logger, done.blocks ? { text: done.text, blocks: done.blocks } : buildInfoReply(claimed + done.text));
      } catch (e) {
        await replyError(respond, deps.logger, e, DESK_USAGE);
      }
    });
  };
}

async function run(oms: OmsClient, team: string, intent: Exclude<DeskIntent, { kind: 'help' }>, access: string): Promise<{ text: string; blocks?: ReturnType<typeof memberBlocks> }> {
  switch (intent.kind) {
    case 'whoami':
      return { text: `${access}\n${DESK_USAGE}` };
    case 'members': {
      const members = await oms.listMembers();
      return { text: members.map((m) => `${m.member} ${m.role}`).join('\n') || 'No members yet.', blocks: memberBlocks(members) };
    }
    case 'role': {
      const m = await oms.setRole(memberId(team, intent.user), intent.role);
      return { text: `${mention(m.member)} is now *${m.role}* on this desk.` };
    }
    case 'remove': {
      const m = await oms.removeMember(memberId(team, intent.user));
      return { text: `${mention(m.member)} is no longer a member of this desk (was *${m.role}*).` };
    }
    case 'grant':
    case 'revoke': {
      const c = await oms.grantChannel(intent.channel, intent.portfolio, intent.kind === 'grant');
      const now = c.portfolios.length ? c.portfolios.map((p) => `*${escapeMrkdwn(p)}*`).join(', ') : 'no portfolio';
      return { text: `<#${c.channel}> ${intent.kind === 'grant' ? 'may now trade' : 'no longer trades'} *${escapeMrkdwn(intent.portfolio)}*. Its traders trade ${now} from there.` };
    }
    case 'allow':
    case 'deny': {
      await oms.allowTrading(intent.channel, intent.kind === 'allow');
      const { trading_channels: list } = await oms.listChannels();
      const now = list.length ? `The desk trades only in ${list.map((c) => `<#${c}>`).join(', ')}.` : 'No trading channel is listed: the desk trades from any channel.';
      return { text: `<#${intent.channel}> ${intent.kind === 'allow' ? 'is now a trading channel' : 'is no longer a trading channel'}. ${now}` };
    }
  }
}
