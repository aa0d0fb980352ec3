import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { envSchema, loadEnv } from '../../src/config/env.js';
import { slackEnvSchema } from '../../src/slack/config.js';

/** The variables .env.example sets (commented-out ones included), in file order. */
function exampleVariables(): string[] {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  return [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
}

describe('.env.example', () => {
  it('lists every variable the OMS and the Slack bot read, and nothing else', () => {
    const read = [...Object.keys(envSchema.shape), ...Object.keys(slackEnvSchema.shape)].sort();
    const listed = exampleVariables();
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(read);
  });

  it("holds values the OMS accepts as they are", () => {
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const values = Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    const env = loadEnv(values);
    expect(env.BOOKED_PRICE_BAND_BPS).toBe(2000);
    expect(env.PORT).toBe(Number(values.PORT));
  });
});
