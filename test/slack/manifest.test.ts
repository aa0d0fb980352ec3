import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { SLASH_COMMANDS } from '../../src/slack/listeners/commands/index.js';

const manifest = readFileSync(new URL('../../slack/manifest.yml', import.meta.url), 'utf8');

describe('Slack app manifest', () => {
  it('declares exactly the slash commands the bot listens to, all on /slack/events', () => {
    const commands = [...manifest.matchAll(/^\s*- command: (\S+)\s*\n\s*url: (\S+)/gm)].map((m) => [m[1], m[2]]);
    expect(commands.map(([c]) => c).sort()).toEqual(Object.keys(SLASH_COMMANDS).sort());
    expect(commands.every(([, url]) => url === 'https://YOUR-HOST/slack/events')).toBe(true);
  });

  it('enables interactivity, App Home and the app_home_opened event on /slack/events', () => {
    expect(manifest).toMatch(/interactivity:\s*\n\s*is_enabled: true\s*\n\s*request_url: https:\/\/YOUR-HOST\/slack\/events/);
    expect(manifest).toMatch(/event_subscriptions:\s*\n\s*request_url: https:\/\/YOUR-HOST\/slack\/events\s*\n\s*bot_events:\s*\n\s*- app_home_opened/);
    expect(manifest).toMatch(/home_tab_enabled: true/);
  });

  it('asks for the bot scopes the bot uses', () => {
    const scopes = [...manifest.matchAll(/^\s*- ([a-z.:]+)\s*(#.*)?$/gm)].map((m) => m[1]);
    expect(scopes).toEqual(expect.arrayContaining(['commands', 'chat:write', 'chat:write.public', 'files:write']));
  });
});
