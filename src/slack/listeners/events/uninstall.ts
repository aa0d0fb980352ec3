import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';

type Args = (SlackEventMiddlewareArgs<'app_uninstalled'> | SlackEventMiddlewareArgs<'tokens_revoked'>) & AllMiddlewareArgs;

/**
 * The app was removed from a workspace (app_uninstalled), or its bot token revoked (tokens_revoked
 * naming bot users): the installation goes and the workspace's desk gets no more Slack traffic. The
 * desk and its data stay. With one workspace (SLACK_BOT_TOKEN) there is nothing to remove.
 */
export function uninstalled(deps: SlackDeps) {
  return async ({ event, body }: Args): Promise<void> => {
    if (event.type === 'tokens_revoked' && (event.tokens.bot ?? []).length === 0) return;
    const team = (body as { team_id?: string }).team_id;
    if (!team || !deps.uninstall) return;
    await deps.uninstall(team);
  };
}
