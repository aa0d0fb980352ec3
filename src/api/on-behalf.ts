import type { RequestHandler } from 'express';
import { hasScope } from '../oms/access.js';
import { validationError } from '../oms/errors.js';
import { CHANNEL_ID, MEMBER_ID, type MemberDirectory } from '../oms/members.js';
import { textProblem } from '../wire/text.js';
import { HttpError } from './http-errors.js';
import { keyOf } from './auth.js';

export const ON_BEHALF_OF = 'On-Behalf-Of';
export const ON_BEHALF_CHANNEL = 'On-Behalf-Channel';

function header(value: string | undefined, name: string, form: RegExp, example: string): string | null {
  if (value === undefined) return null;
  const problem = textProblem(value) ?? (form.test(value) ? null : `must look like ${example}`);
  if (problem) throw validationError(`${name}: ${problem}`, [{ path: name, message: problem }]);
  return value;
}

/**
 * A key with `act_as` (the Slack bot's) names the desk member it acts for in On-Behalf-Of, and the
 * channel the command came from in On-Behalf-Channel; from here on the request has that member's
 * role and grants instead of the key's (members.ts). Without the header, a key acts as itself.
 */
export function actingFor(members: MemberDirectory): RequestHandler {
  return async (req, res, next) => {
    try {
      const member = header(req.get(ON_BEHALF_OF), ON_BEHALF_OF, MEMBER_ID, 'slack:T0123:U0456');
      const channel = header(req.get(ON_BEHALF_CHANNEL), ON_BEHALF_CHANNEL, CHANNEL_ID, 'C0123ABCD');
      if (member === null) {
        if (channel !== null) throw validationError(`${ON_BEHALF_CHANNEL} goes with ${ON_BEHALF_OF}`, [{ path: ON_BEHALF_CHANNEL, message: `send ${ON_BEHALF_OF} too` }]);
        next();
        return;
      }
      const key = keyOf(res);
      if (!hasScope(key, 'act_as')) {
        throw new HttpError('FORBIDDEN', 'this API key lacks the act_as scope: it cannot act for a desk member', [{ path: ON_BEHALF_OF, message: 'not allowed for this key' }]);
      }
      const access = await (await members.of(key.deskId)).accessFor(member, channel, key);
      res.locals.apiKey = { ...key, scopes: [...access.scopes], portfolios: [...access.portfolios], member: access.member };
      next();
    } catch (error) {
      next(error);
    }
  };
}
