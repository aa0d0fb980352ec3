import { ROLES, type Role } from '../oms-types.js';
import { commandTextProblem } from './command-text.js';
import { portfolioName } from './command-args.js';
import type { Parsed } from './trade-grammar.js';

export const DESK_USAGE = [
  '`/desk`  your role on this desk',
  '`/desk members`  the members and their roles (admins)',
  '`/desk role @user viewer|trader|approver|admin`  give someone a role (admins)',
  '`/desk remove @user`  take someone off the desk (admins)',
  '`/desk grant #channel PORTFOLIO`  let the channel\'s traders trade a portfolio there (admins)',
  '`/desk revoke #channel PORTFOLIO`  take that back (admins)',
  '`/desk channels allow|deny #channel`  trade only from the listed channels; none listed: any (admins)',
].join('\n');

export type DeskIntent =
  | { readonly kind: 'whoami' }
  | { readonly kind: 'help' }
  | { readonly kind: 'members' }
  | { readonly kind: 'role'; readonly user: string; readonly role: Role }
  | { readonly kind: 'remove'; readonly user: string }
  | { readonly kind: 'grant' | 'revoke'; readonly channel: string; readonly portfolio: string }
  | { readonly kind: 'allow' | 'deny'; readonly channel: string };

/** Slack's escaped mentions (the command is declared with should_escape): `<@U123|name>`, `<#C123|name>`. */
const USER = /^<@([A-Z0-9]+)(?:\|[^>]*)?>$/;
const CHANNEL = /^<#([A-Z0-9]+)(?:\|[^>]*)?>$/;

const fail = (error: string): Parsed<DeskIntent> => ({ ok: false, error });
const ok = (value: DeskIntent): Parsed<DeskIntent> => ({ ok: true, value });

/** Parses the text of `/desk`; like the other grammars it returns values and never throws. */
export function parseDesk(text: string): Parsed<DeskIntent> {
  const problem = commandTextProblem(text);
  if (problem) return fail(problem);
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [verb = '', ...rest] = words;
  const user = (word: string | undefined): string | null => (word === undefined ? null : (USER.exec(word)?.[1] ?? null));
  const channel = (word: string | undefined): string | null => (word === undefined ? null : (CHANNEL.exec(word)?.[1] ?? null));
  switch (verb.toLowerCase()) {
    case '':
      return ok({ kind: 'whoami' });
    case 'help':
    case '?':
      return ok({ kind: 'help' });
    case 'members':
      return rest.length === 0 ? ok({ kind: 'members' }) : fail('`/desk members` takes nothing more.');
    case 'role': {
      const who = user(rest[0]);
      const role = rest[1]?.toLowerCase() as Role | undefined;
      if (!who) return fail('Name the member with an @-mention: `/desk role @user trader`.');
      if (!role || !ROLES.includes(role) || rest.length !== 2) return fail(`Give one role: ${ROLES.join(', ')}.`);
      return ok({ kind: 'role', user: who, role });
    }
    case 'remove': {
      const who = user(rest[0]);
      if (!who || rest.length !== 1) return fail('Name the member with an @-mention: `/desk remove @user`.');
      return ok({ kind: 'remove', user: who });
    }
    case 'grant':
    case 'revoke': {
      const where = channel(rest[0]);
      // Read as every command reads a portfolio: quotes, and Slack's escaping of `&`, `<`, `>`.
      const portfolio = portfolioName(rest.slice(1).join(' ')) ?? '';
      if (!where) return fail(`Name the channel with a #-mention: \`/desk ${verb.toLowerCase()} #channel PORTFOLIO\`.`);
      if (!portfolio) return fail(`Name the portfolio: \`/desk ${verb.toLowerCase()} #channel PORTFOLIO\`.`);
      return ok({ kind: verb.toLowerCase() as 'grant' | 'revoke', channel: where, portfolio });
    }
    case 'channels': {
      const how = rest[0]?.toLowerCase();
      const where = channel(rest[1]);
      if ((how !== 'allow' && how !== 'deny') || !where || rest.length !== 2) return fail('Say `/desk channels allow #channel` or `/desk channels deny #channel`.');
      return ok({ kind: how, channel: where });
    }
    default:
      return fail(`I don't know \`/desk ${verb}\`.`);
  }
}
