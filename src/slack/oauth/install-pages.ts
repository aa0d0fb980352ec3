import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { InstallRefused } from '../workspaces/desk-provisioning.js';

/** Where the OAuth flow is served (slack/manifest.yml's redirect URL names the second). */
export const INSTALL_PATH = '/slack/install';
export const REDIRECT_PATH = '/slack/oauth_redirect';

/** The scopes an install asks for; slack/manifest.yml lists the same (test/slack/manifest.test.ts). */
export const BOT_SCOPES = ['commands', 'chat:write', 'chat:write.public', 'files:write'] as const;

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto"><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  );
}

/** What Slack's redirect says when the user pressed Cancel on its consent page (`error=access_denied`). */
const CANCELLED = 'slack_oauth_installer_authorization_error';

/** The OAuth errors of a link that was not started here, or is stale: the installer starts again. */
const STATE_ERRORS = new Set(['slack_oauth_invalid_state', 'slack_oauth_missing_state', 'slack_oauth_missing_code']);

/**
 * What the installer's browser sees at the end of the OAuth flow. Failures are pages with a plain
 * reason, never a stack trace or a token: a bad or forged state, a refused desk, or Slack refusing
 * the code (only its error code is shown).
 */
export function installPages(logger: Logger, deskNameOf: (team: string) => Promise<string | undefined>) {
  return {
    async successAsync(installation: { team?: { id: string; name?: string } }, _options: unknown, _req: unknown, res: ServerResponse): Promise<void> {
      const team = installation.team?.id ?? '';
      const name = installation.team?.name ?? team;
      const desk = await deskNameOf(team).catch(() => undefined);
      page(
        res,
        200,
        'Paper Desk is installed',
        `<p>Paper Desk is installed in <b>${escapeHtml(name)}</b>, which trades on a desk of its own${desk ? `, <code>${escapeHtml(desk)}</code>` : ''}.</p>` +
          '<p>Back in Slack, invite the bot to a channel and try <code>/portfolio</code>, <code>/quote AAPL</code> or <code>/trade buy 10 AAPL in &lt;portfolio&gt;</code>.</p>',
      );
    },
    failure(error: Error & { code?: string }, _options: unknown, _req: unknown, res: ServerResponse): void {
      if (error.code === CANCELLED && /cancelled/i.test(error.message)) {
        page(res, 200, 'Paper Desk was not installed', `<p>The install was cancelled on Slack's page. <a href="${INSTALL_PATH}">Install it after all</a>.</p>`);
        return;
      }
      if (STATE_ERRORS.has(error.code ?? '')) {
        page(
          res,
          400,
          'This install link is not valid',
          `<p>The link was not started from this browser, has expired, or was altered. <a href="${INSTALL_PATH}">Start the install again</a>.</p>`,
        );
        return;
      }
      const refused = findRefusal(error);
      if (refused) {
        page(res, 409, 'Paper Desk could not be installed', `<p>${escapeHtml(refused.message)}</p>`);
        return;
      }
      const slackError = (error as { data?: { error?: unknown } }).data?.error;
      logger.warn({ code: error.code, slackError, name: error.name }, 'a Slack install failed');
      page(
        res,
        502,
        'Paper Desk could not be installed',
        `<p>Slack did not confirm the installation${typeof slackError === 'string' ? ` (${escapeHtml(slackError)})` : ''}. <a href="${INSTALL_PATH}">Try again</a>.</p>`,
      );
    },
  };
}

function findRefusal(error: unknown): InstallRefused | undefined {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof InstallRefused) return e;
  }
  return undefined;
}
