import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { buildErrorReply, buildInfoReply } from '../../blocks/error-reply.js';
import { escapeMrkdwn } from '../../blocks/format.js';
import { parseRiskArgs } from '../../commands/risk-args.js';
import type { SlackDeps } from '../../deps.js';
import type { RiskState } from '../../oms-types.js';
import { replyError, replyInChannel } from '../replies.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

const DONE: Record<RiskState, (scope: string) => string> = {
  HALTED: (scope) => `Trading is halted on ${scope}: no new orders until \`/resume\`. Open orders can still be canceled.`,
  ACTIVE: (scope) => `Trading resumed on ${scope}.`,
  REDUCING: (scope) => `${scope[0].toUpperCase()}${scope.slice(1)} is reduce-only: only orders that shrink a position go through, until \`/resume\`.`,
};

/**
 * `/halt`, `/resume` and `/reduce-only`, on the desk or one portfolio, for approvers and admins: the
 * OMS decides who may (a refusal is answered to the member alone); what changed is said in the channel.
 */
export function riskStateCommand(state: RiskState, usage: string) {
  return (deps: SlackDeps) =>
    async ({ command, ack, respond }: Args): Promise<void> => {
      const args = parseRiskArgs(command.text ?? '', state === 'HALTED');
      if (!args.ok) {
        await ack({ response_type: 'ephemeral', ...buildErrorReply(args.error, usage) });
        return;
      }
      await ack();
      await deps.work.run(async () => {
        try {
                    const changed = await deps.oms.as({ team: command.team_id, user: command.user_id, channel: command.channel_id }).setRiskState(args.value.portfolio, state, args.value.cancel);
          const scope = args.value.portfolio === undefined ? 'the desk' : `portfolio *${escapeMrkdwn(args.value.portfolio)}*`;
          const canceled = changed.canceled_orders > 0 ? ` ${changed.canceled_orders} open order${changed.canceled_orders === 1 ? '' : 's'} canceled.` : '';
          await replyInChannel(respond, deps.logger, buildInfoReply(`${DONE[state](scope)}${canceled} (by <@${command.user_id}>)`));
        } catch (e) {
          await replyError(respond, deps.logger, e, usage);
        }
      });
    };
}
