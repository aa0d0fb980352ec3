/**
 * The Socket Mode variant of slack/manifest.yml, made from it so that the two never disagree: the
 * same commands, scopes and events, with no URL to fill in (Slack's requests come over the bot's
 * WebSocket) and Socket Mode on. Socket Mode serves one workspace, so the OAuth redirect goes too.
 * `node dist/cli/slack-manifest.js --socket-mode` prints it (README-slack, Socket Mode).
 */
export function socketModeManifest(httpManifest: string): string {
  const body = httpManifest
    .split('\n')
    .filter((line) => !/^#/.test(line))
    .join('\n')
    .replace(/\n\s+url: https:\/\/YOUR-HOST\/\S*/g, '')
    .replace(/\n\s+request_url: https:\/\/YOUR-HOST\/\S*/g, '')
    .replace(/\n\s+redirect_urls:(\n\s+- https:\/\/YOUR-HOST\/\S*)+/g, '')
    .replace(/socket_mode_enabled: false/, 'socket_mode_enabled: true');
  return [
    '# Slack app manifest for the paper-trading desk bot, Socket Mode (SLACK_APP_TOKEN set, one workspace).',
    '# Made from slack/manifest.yml: paste it as it is, there is no URL to fill in.',
    '# Setup, step by step: src/slack/README-slack.md.',
    body,
  ].join('\n');
}
