import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { ApiKeyRepository, Scope } from './db/api-key.repository.js';

/** The name of the bot's key in the key list (also the name earlier versions gave the keys they made). */
export const SLACK_BOT_KEY_NAME = 'slack bot (npm start)';

/** Changing it gives the bot a new key (and revokes the old one) on the next start. */
const DERIVATION_LABEL = 'paper-desk/slack-bot/oms-api-key/v1';

/**
 * The OMS key of a bot running inside the OMS process without SLACK_OMS_API_KEY: HMAC-SHA256 of a
 * fixed label under the Slack signing secret, in the format of generated keys (`pk_` + 32 bytes,
 * base64url). Every start with the same secret gets the same key, so none is minted per start, and
 * nothing new needs keeping. Whoever knows the signing secret can already forge any Slack request
 * to the bot, which trades with this key: deriving the key from it gives nobody more than they have.
 */
export function deriveSlackBotKey(signingSecret: string): string {
  return `pk_${createHmac('sha256', signingSecret).update(DERIVATION_LABEL).digest('base64url')}`;
}

/**
 * Makes the derived key exist (read, trade, approve and act_as, every portfolio; stored as its hash
 * only; plus the operator scope when the bot installs in many workspaces, to make each one's desk) and revokes
 * every other active key of the same name: those of an earlier signing secret, and the ones earlier
 * versions made on each start, which nobody holds. Returns the key; it is never logged.
 */
export async function ensureSlackBotKey(keys: ApiKeyRepository, signingSecret: string, logger: Logger, options: { makesDesks?: boolean } = {}): Promise<string> {
  const key = deriveSlackBotKey(signingSecret);
  try {
    // act_as: the bot names the Slack user of each command, who then acts with their own role. A desk
    // without members acts with the key's own scopes, so approve lets its users halt and approve there.
    const scopes: Scope[] = ['read', 'trade', 'approve', 'act_as'];
    await keys.ensure(key, SLACK_BOT_KEY_NAME, options.makesDesks ? [...scopes, 'operator'] : scopes);
  } catch (error) {
    // Two OMS processes starting at once (a deploy's takeover) may both insert it: one wins.
    if (!(await keys.findActiveByKey(key))) throw error;
  }
  const own = await keys.findActiveByKey(key);
  if (!own) {
    logger.warn(`the Slack bot's OMS key ("${SLACK_BOT_KEY_NAME}") was revoked: the bot's OMS calls will be refused until SLACK_OMS_API_KEY names a key of its own`);
  }
  const stale = (await keys.list()).filter((k) => k.name === SLACK_BOT_KEY_NAME && k.revokedAt === null && k.id !== own?.id);
  for (const k of stale) await keys.revoke(k.id);
  if (stale.length) logger.info({ revoked: stale.map((k) => k.id) }, 'revoked the Slack bot\'s earlier OMS keys');
  return key;
}
