import type { Logger as BoltLogger } from '@slack/bolt';

/**
 * The logger of the Web API clients that talk OAuth (code exchange, token refresh). At debug level
 * the WebClient logs each request body, hiding only fields named like tokens: `client_secret` and
 * `code` would be written out. Their debug lines are dropped, whatever the service's level.
 */
export function withoutDebug(log: BoltLogger): BoltLogger {
  return { ...log, debug: () => undefined };
}
