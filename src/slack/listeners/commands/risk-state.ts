import { buildInfoReply } from '../../blocks/error-reply.js';
import { escapeMrkdwn } from '../../blocks/format.js';
import { parseRiskArgs } from '../../commands/risk-args.js';
import type { RiskState } from '../../oms-types.js';
import { replyInChannel } from '../replies.js';
import { parsedCommand } from './parsed-command.js';

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
  return parsedCommand(usage, (text) => parseRiskArgs(text, state === 'HALTED'), async (deps, { args, command, respond, oms }) => {
    const changed = await oms.setRiskState(args.portfolio, state, args.cancel);
    const scope = args.portfolio === undefined ? 'the desk' : `portfolio *${escapeMrkdwn(args.portfolio)}*`;
    const canceled = changed.canceled_orders > 0 ? ` ${changed.canceled_orders} open order${changed.canceled_orders === 1 ? '' : 's'} canceled.` : '';
    await replyInChannel(respond, deps.logger, buildInfoReply(`${DONE[state](scope)}${canceled} (by <@${command.user_id}>)`));
  });
}
