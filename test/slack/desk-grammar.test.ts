import { describe, expect, it } from '@jest/globals';
import { parseDesk } from '../../src/slack/commands/desk-grammar.js';

/** `/desk` text as Slack sends it with should_escape: mentions as `<@U123|name>` and `<#C123|name>`. */
describe('the /desk grammar', () => {
  it.each([
    ['', { kind: 'whoami' }],
    ['help', { kind: 'help' }],
    ['members', { kind: 'members' }],
    ['role <@U0123|tina> trader', { kind: 'role', user: 'U0123', role: 'trader' }],
    ['ROLE <@U0123> Approver', { kind: 'role', user: 'U0123', role: 'approver' }],
    ['remove <@W0456|bob>', { kind: 'remove', user: 'W0456' }],
    ['grant <#C0789|tech-desk> Tech Portfolio', { kind: 'grant', channel: 'C0789', portfolio: 'Tech Portfolio' }],
    ['revoke <#C0789> Alpha', { kind: 'revoke', channel: 'C0789', portfolio: 'Alpha' }],
    ['channels allow <#C0789|tech-desk>', { kind: 'allow', channel: 'C0789' }],
    ['channels deny <#C0789>', { kind: 'deny', channel: 'C0789' }],
    // As the other commands read a portfolio: in quotes (straight or curly), and as Slack escapes `&`.
    ['grant <#C0789> "Tech Portfolio"', { kind: 'grant', channel: 'C0789', portfolio: 'Tech Portfolio' }],
    ['revoke <#C0789> \u201CTech Portfolio\u201D', { kind: 'revoke', channel: 'C0789', portfolio: 'Tech Portfolio' }],
    ['grant <#C0789> R&amp;D', { kind: 'grant', channel: 'C0789', portfolio: 'R&D' }],
  ])('%j', (text, value) => {
    expect(parseDesk(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['role @tina trader', 'Name the member with an @-mention'],
    ['role <@U0123> owner', 'Give one role: viewer, trader, approver, admin.'],
    ['role <@U0123>', 'Give one role'],
    ['remove tina', 'Name the member with an @-mention'],
    ['grant #tech Alpha', 'Name the channel with a #-mention'],
    ['grant <#C0789>', 'Name the portfolio'],
    ['grant <#C0789> ""', 'Name the portfolio'],
    ['channels open <#C0789>', 'Say `/desk channels allow #channel`'],
    ['members please', '`/desk members` takes nothing more.'],
    ['promote <@U0123>', "I don't know `/desk promote`."],
    ['role <@U0123> trader\u0000', "I can't read that"],
  ])('%j is refused with a sentence that says how', (text, error) => {
    const parsed = parseDesk(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toContain(error);
  });
});
