import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { SLASH_COMMANDS } from '../../src/slack/listeners/commands/index.js';
import { BOT_SCOPES } from '../../src/slack/oauth/install-pages.js';
import { socketModeManifest } from '../../src/slack/socket-mode-manifest.js';

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

  it('declares the OAuth redirect URL, the scopes an install asks for and the uninstall events', () => {
    expect(manifest).toMatch(/oauth_config:\s*\n\s*redirect_urls:\s*\n\s*- https:\/\/YOUR-HOST\/slack\/oauth_redirect\n/);
    const scopes = /bot:\n((?:\s+- .*\n)+)/.exec(manifest)![1];
    expect([...scopes.matchAll(/- ([a-z.:]+)/g)].map((m) => m[1])).toEqual([...BOT_SCOPES]);
    expect(BOT_SCOPES).toContain('files:write');
    const events = /bot_events:\n((?:\s+- .*\n)+)/.exec(manifest)![1];
    expect([...events.matchAll(/- ([a-z_]+)/g)].map((m) => m[1])).toEqual(expect.arrayContaining(['app_home_opened', 'app_uninstalled', 'tokens_revoked']));
  });

  it('has a Socket Mode variant made from it that needs no edit: the same commands, scopes and events, no URL', () => {
    const socket = socketModeManifest(manifest);
    expect(socket).not.toMatch(/YOUR-HOST|url:/);
    expect(socket).toMatch(/socket_mode_enabled: true/);
    expect(socket).not.toMatch(/socket_mode_enabled: false/);
    const commandsOf = (text: string) => [...text.matchAll(/^\s*- command: (\S+)/gm)].map((m) => m[1]);
    expect(commandsOf(socket)).toEqual(commandsOf(manifest));
    expect(commandsOf(socket).sort()).toEqual(Object.keys(SLASH_COMMANDS).sort());
    const listed = (text: string, key: string) => /\n((?:\s+- .*\n)+)/.exec(text.slice(text.indexOf(`${key}:`)))![1];
    expect(listed(socket, 'bot')).toBe(listed(manifest, 'bot'));
    expect(listed(socket, 'bot_events')).toBe(listed(manifest, 'bot_events'));
    expect(socket).toMatch(/interactivity:\s*\n\s*is_enabled: true/);
    expect(socket).toMatch(/home_tab_enabled: true/);
  });
});
