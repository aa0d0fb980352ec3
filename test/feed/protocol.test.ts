// Unit tests of the feed's client-frame parser (src/feed/protocol.ts).

import { describe, expect, it } from '@jest/globals';
import { parseClientFrame } from '../../src/feed/protocol.js';

const ok = (text: string) => {
  const r = parseClientFrame(text);
  if (!r.ok) throw new Error(`expected ${text} to parse: ${r.message}`);
  return r.frame;
};
const bad = (text: string | null): string => {
  const r = parseClientFrame(text);
  if (r.ok) throw new Error(`expected ${text} to be refused, got ${JSON.stringify(r.frame)}`);
  return r.message;
};

describe('parseClientFrame', () => {
  it('accepts the four ops, with or without an id', () => {
    expect(ok('{"op":"subscribe","channel":"book:AAPL"}')).toEqual({ op: 'subscribe', channel: 'book:AAPL' });
    expect(ok('{"op":"unsubscribe","channel":"ticker","id":7}')).toEqual({ op: 'unsubscribe', channel: 'ticker', id: 7 });
    expect(ok('{"op":"auth","api_key":"pk_abc","id":"a1"}')).toEqual({ op: 'auth', api_key: 'pk_abc', id: 'a1' });
    expect(ok('{"op":"ping"}')).toEqual({ op: 'ping' });
    expect(ok(' { "op" : "ping" , "id" : 0 } ')).toEqual({ op: 'ping', id: 0 });
  });

  it('drops unknown extra fields', () => {
    expect(ok('{"op":"ping","extra":true}')).toEqual({ op: 'ping' });
  });

  it('refuses binary frames', () => {
    expect(bad(null)).toMatch(/binary/);
  });

  it('refuses text that is not JSON', () => {
    expect(bad('')).toMatch(/not valid JSON/);
    expect(bad('hello')).toMatch(/not valid JSON/);
    expect(bad('{"op":"ping"')).toMatch(/not valid JSON/);
  });

  it('refuses JSON that is not an object with a known op, and says what is expected', () => {
    for (const text of ['null', '42', '"ping"', '[]', '[{"op":"ping"}]', '{}', '{"op":"dance"}', '{"op":1}', '{"OP":"ping"}']) {
      expect(bad(text)).toMatch(/expected \{"op":"subscribe"\|"unsubscribe"/);
    }
  });

  it('names the missing or wrong field', () => {
    expect(bad('{"op":"subscribe"}')).toMatch(/^channel: /);
    expect(bad('{"op":"unsubscribe","channel":""}')).toMatch(/^channel: /);
    expect(bad('{"op":"subscribe","channel":7}')).toMatch(/^channel: /);
    expect(bad('{"op":"auth"}')).toMatch(/^api_key: /);
    expect(bad('{"op":"auth","api_key":""}')).toMatch(/^api_key: /);
  });

  it('refuses text that could hurt in every string, naming the field and the problem', () => {
    const frame = (fields: Record<string, unknown>) => JSON.stringify(fields);
    expect(bad(frame({ op: 'subscribe', channel: 'orders:A\u0000' }))).toMatch(/^channel: holds a control character \(U\+0000 at index 8\); expected /);
    expect(bad(frame({ op: 'unsubscribe', channel: 'book:\u202eLPAA' }))).toMatch(/^channel: holds a bidirectional override or isolate control \(U\+202E at index 5\)/);
    expect(bad(frame({ op: 'auth', api_key: 'pk_\ud800' }))).toMatch(/^api_key: holds an unpaired UTF-16 surrogate \(U\+D800 at index 3\)/);
    expect(bad(frame({ op: 'ping', id: 'a\u0007' }))).toMatch(/^id: holds a control character \(U\+0007 at index 1\)/);
    expect(bad(frame({ op: 'ping\u0000' }))).toMatch(/^op: /);
    // Valid text of any script passes untouched.
    expect(ok(frame({ op: 'subscribe', channel: 'orders:Café Ünïcödé 日本 📈', id: '日本 📈' }))).toEqual({ op: 'subscribe', channel: 'orders:Café Ünïcödé 日本 📈', id: '日本 📈' });
  });

  it('a refused frame never echoes an id that is not clean text', () => {
    const r = parseClientFrame(JSON.stringify({ op: 'subscribe', channel: '\u0000', id: 'x\u202e' }));
    expect(r.ok === false && 'id' in r).toBe(false);
  });

  it('bounds the sizes of channel, key and id', () => {
    expect(ok(`{"op":"subscribe","channel":"${'x'.repeat(120)}"}`)).toMatchObject({ op: 'subscribe' });
    expect(bad(`{"op":"subscribe","channel":"${'x'.repeat(121)}"}`)).toMatch(/^channel: /);
    expect(bad(`{"op":"auth","api_key":"${'k'.repeat(201)}"}`)).toMatch(/^api_key: /);
    expect(ok(`{"op":"ping","id":"${'i'.repeat(64)}"}`)).toMatchObject({ op: 'ping' });
    expect(bad(`{"op":"ping","id":"${'i'.repeat(65)}"}`)).toMatch(/^id: /);
    expect(bad('{"op":"ping","id":{"a":1}}')).toMatch(/^id: /);
    expect(bad('{"op":"ping","id":null}')).toMatch(/^id: /);
  });
});
