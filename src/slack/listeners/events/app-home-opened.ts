import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { publishHome } from '../../trading/app-home.js';

type Args = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

/** Opening the Home tab publishes a fresh view (events are acked by Bolt before this runs). */
export function appHomeOpened(deps: SlackDeps) {
  return async ({ event, body, client }: Args): Promise<void> => {
    if (event.tab !== 'home') return;
    try {
      await deps.work.run(() => publishHome(deps, client, body.team_id, event.user));
    } catch (e) {
      deps.logger.warn({ err: e }, 'App Home not published');
    }
  };
}
