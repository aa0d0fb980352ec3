import type { AllMiddlewareArgs, RespondFn, SlackCommandMiddlewareArgs, SlashCommand } from '@slack/bolt';
import { buildErrorReply, buildInfoReply } from '../../blocks/error-reply.js';
import { isHelpRequest, type Parsed } from '../../commands/trade-grammar.js';
import type { SlackDeps } from '../../deps.js';
import type { OmsClient } from '../../oms-client.js';
import { replyError } from '../replies.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** What a command's work gets once its text parsed. */
export interface CommandRun<T> {
  readonly args: T;
  readonly command: SlashCommand;
  readonly respond: RespondFn;
  readonly client: Args['client'];
  /** The OMS acting for the member who typed the command, in the channel they typed it in. */
  readonly oms: OmsClient;
}

/**
 * The life of a slash command: `help` is answered with the usage (it is no portfolio, symbol or
 * order id); then its text is parsed, and bad text is answered at once, privately, with the usage; good text is acknowledged and `work` runs in the bot's work queue; whatever it
 * throws (an OMS refusal, Slack or the OMS away) is explained privately, with the usage.
 */
export function parsedCommand<T>(usage: string, parse: (text: string) => Parsed<T>, work: (deps: SlackDeps, run: CommandRun<T>) => Promise<void>) {
  return (deps: SlackDeps) =>
    async ({ command, ack, respond, client }: Args): Promise<void> => {
      if (isHelpRequest(command.text ?? '')) {
        await ack({ response_type: 'ephemeral', ...buildInfoReply(usage) });
        return;
      }
      const args = parse(command.text ?? '');
      if (!args.ok) {
        await ack({ response_type: 'ephemeral', ...buildErrorReply(args.error, usage) });
        return;
      }
      await ack();
      await deps.work.run(async () => {
        try {
          const oms = deps.oms.as({ team: command.team_id, user: command.user_id, channel: command.channel_id });
          await work(deps, { args: args.value, command, respond, client, oms });
        } catch (e) {
          await replyError(respond, deps.logger, e, usage);
        }
      });
    };
}
