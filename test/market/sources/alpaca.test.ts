import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { Bar, FeedState, MarketDataSink, Quote, TradePrint } from '../../../src/market/market-data.js';
import { AlpacaSource, type AlpacaSourceOptions } from '../../../src/market/sources/alpaca.js';
import { readFrame } from '../../../src/market/sources/alpaca-wire.js';
import { AlpacaStandIn } from '../support/alpaca-stand-in.js';

class RecordingSink implements MarketDataSink {
  readonly trades: TradePrint[] = [];
  readonly quotes: Quote[] = [];
  readonly bars: Bar[] = [];
  readonly states: FeedState[] = [];
  readonly details: (string | undefined)[] = [];
  readonly skips: string[] = [];
  /** Every call's kind, in order. */
  readonly calls: string[] = [];

  trade(print: TradePrint): void {
    this.trades.push(print);
    this.calls.push('trade');
  }
  quote(quote: Quote): void {
    this.quotes.push(quote);
    this.calls.push('quote');
  }
  bar(bar: Bar): void {
    this.bars.push(bar);
    this.calls.push('bar');
  }
  state(state: FeedState, detail?: string): void {
    this.states.push(state);
    this.details.push(detail);
    this.calls.push(state);
  }
  skipped(reason: string): void {
    this.skips.push(reason);
    this.calls.push('skipped');
  }
  get last(): FeedState | undefined {
    return this.states.at(-1);
  }
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const T1 = '2024-03-01T15:30:00.123456789Z';
const CREDENTIALS = { keyId: 'PKTEST', secretKey: 'test-secret' };

let standIn: AlpacaStandIn;
let source: AlpacaSource | undefined;
let sink: RecordingSink;
let logLines: string[];

beforeEach(async () => {
  standIn = await AlpacaStandIn.start();
  sink = new RecordingSink();
  logLines = [];
});

afterEach(async () => {
  await source?.stop();
  source = undefined;
  await standIn.close();
});

function alpaca(options: Partial<AlpacaSourceOptions> = {}): AlpacaSource {
  source = new AlpacaSource({
    ...CREDENTIALS,
    streamUrl: standIn.streamUrl,
    restUrl: standIn.restUrl,
    retryMinMs: 5,
    retryMaxMs: 40,
    logger: pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) }),
    ...options,
  });
  return source;
}

describe('Alpaca source: the connection', () => {
  it('authenticates after the welcome, subscribes trades, quotes and bars, and is ok once acknowledged', async () => {
    await alpaca().start(['AAPL', 'MSFT'], sink);
    await until(() => sink.last === 'ok');

    expect(sink.states).toEqual(['connecting', 'ok']);
    expect(standIn.connections.map((c) => c.path)).toEqual(['/v2/iex']);
    const [connection] = standIn.connections;
    expect(connection!.auths).toEqual([{ key: 'PKTEST', secret: 'test-secret' }]);
    expect(connection!.subscribes).toEqual([{ action: 'subscribe', trades: ['AAPL', 'MSFT'], quotes: ['AAPL', 'MSFT'], bars: ['AAPL', 'MSFT'] }]);
  });

  it('streams the feed it is given', async () => {
    await alpaca({ feed: 'sip' }).start(['AAPL'], sink);
    await until(() => sink.last === 'ok');
    expect(standIn.connections.map((c) => c.path)).toEqual(['/v2/sip']);
    expect(standIn.restRequests[0]!.query.get('feed')).toBe('sip');
  });

  it('reports refused credentials once, retries at the slow pace, and recovers when they are accepted', async () => {
    standIn.accepted = { key: 'PKOTHER', secret: 'other-secret' };
    await alpaca().start(['AAPL'], sink);
    await until(() => standIn.connections.length >= 3 && standIn.connections.every((c) => c.socket.readyState === c.socket.CLOSED));

    expect(sink.states).toEqual(['connecting', 'invalid_auth']);
    // Retries wait retryMaxMs (40 ms); with backoff from retryMinMs (5 ms) the first would come within 10 ms.
    const starts = standIn.connections.map((c) => c.at);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(35);

    standIn.accepted = { key: 'PKTEST', secret: 'test-secret' };
    await until(() => sink.last === 'ok');
    expect(sink.states).toEqual(['connecting', 'invalid_auth', 'ok']);
    expect(logLines.filter((l) => l.includes('refused the market data credentials'))).toHaveLength(1);
    expect(logLines.some((l) => l.includes('test-secret'))).toBe(false);
  });

  it('reports a refused second connection (406) and retries with backoff until one is allowed', async () => {
    standIn.connectionLimit = true;
    await alpaca().start(['AAPL'], sink);
    await until(() => standIn.connections.length >= 3);
    expect(sink.states).toEqual(['connecting', 'connection_limit']);
    expect(sink.details[1]).toBe('connection limit exceeded (406)');

    standIn.connectionLimit = false;
    await until(() => sink.last === 'ok');
    expect(sink.states).toEqual(['connecting', 'connection_limit', 'ok']);
  });

  it('reconnects a dropped connection, authenticates and subscribes again, and streams on', async () => {
    await alpaca().start(['AAPL'], sink);
    await until(() => sink.last === 'ok');

    standIn.drop();
    await until(() => sink.states.length === 4);
    expect(sink.states).toEqual(['connecting', 'ok', 'connecting', 'ok']);
    const again = standIn.connections[1]!;
    expect(again.auths).toHaveLength(1);
    expect(again.subscribes).toEqual([{ action: 'subscribe', trades: ['AAPL'], quotes: ['AAPL'], bars: ['AAPL'] }]);

    standIn.send(`[{"T":"t","S":"AAPL","i":2,"x":"V","p":190.01,"s":5,"t":"${T1}","c":["@"],"z":"C"}]`);
    await until(() => sink.trades.length === 1);
    expect(sink.trades[0]!.price).toBe(1_900_100);
  });
});

describe('Alpaca source: data', () => {
  it('delivers trades, quotes and bars in exact price units', async () => {
    await alpaca().start(['AAPL'], sink);
    await until(() => sink.last === 'ok');

    standIn.send(
      `[{"T":"t","S":"AAPL","i":1,"x":"V","p":187.355,"s":100,"t":"${T1}","c":["@"],"z":"C"},` +
        `{"T":"t","S":"AAPL","i":2,"x":"V","p":187.35494999999999999999,"s":1,"t":"${T1}","c":["@"],"z":"C"}]`,
    );
    standIn.send(`[{"T":"q","S":"AAPL","bx":"V","bp":187.35,"bs":2,"ax":"V","ap":187.3600,"as":3,"t":"${T1}","c":["R"],"z":"C"}]`);
    standIn.send(`[{"T":"q","S":"AAPL","bx":"V","bp":0,"bs":0,"ax":"V","ap":187.36,"as":3,"t":"${T1}","c":["R"],"z":"C"}]`);
    standIn.send('[{"T":"b","S":"AAPL","o":187.1,"h":187.5,"l":186.99995,"c":187.355,"v":12345,"t":"2024-03-01T15:30:00Z","n":12,"vw":187.2}]');
    await until(() => sink.bars.length === 1);

    const time = new Date('2024-03-01T15:30:00.123Z');
    expect(sink.trades).toEqual([
      { symbol: 'AAPL', price: 1_873_550, size: '100', time },
      // The number's own text rounds down; read through a double (187.35495) it would round up.
      { symbol: 'AAPL', price: 1_873_549, size: '1', time },
    ]);
    expect(sink.quotes).toEqual([
      { symbol: 'AAPL', bid: 1_873_500, ask: 1_873_600, time },
      { symbol: 'AAPL', bid: null, ask: 1_873_600, time },
    ]);
    expect(sink.bars).toEqual([
      { symbol: 'AAPL', time: new Date('2024-03-01T15:30:00Z'), open: 1_871_000, high: 1_875_000, low: 1_870_000, close: 1_873_550, volume: '12345' },
    ]);
    expect(sink.skips).toEqual([]);
  });

  it('skips malformed frames, unknown types and bad prices, and streams on', async () => {
    await alpaca().start(['AAPL'], sink);
    await until(() => sink.last === 'ok');

    for (const frame of [
      'not json',
      '{"T":"t","S":"AAPL"}',
      '[{"T":"zz","S":"AAPL"}]',
      '[42]',
      `[{"T":"t","S":"AAPL","p":-1,"s":1,"t":"${T1}"}]`,
      `[{"T":"t","S":"AAPL","p":"abc","s":1,"t":"${T1}"}]`,
      `[{"T":"q","S":"AAPL","bp":1e3,"ap":1001,"t":"${T1}"}]`,
      '[{"T":"t","S":"AAPL","p":1,"s":1,"t":"yesterday"}]',
      `[{"T":"t","p":1,"s":1,"t":"${T1}"}]`,
      `[{"T":"t","S":"AAPL","p":187.5,"s":10,"t":"${T1}"}]`,
    ]) {
      standIn.send(frame);
    }
    await until(() => sink.trades.length === 1);

    expect(sink.trades[0]).toMatchObject({ symbol: 'AAPL', price: 1_875_000, size: '10' });
    expect(sink.skips).toEqual([
      'malformed frame: not JSON',
      'malformed frame: not an array of messages',
      'unknown message type "zz"',
      'malformed message: no type',
      'AAPL: bad trade price or size',
      'AAPL: bad trade price or size',
      'AAPL: bad quote price',
      'AAPL: bad timestamp',
      'malformed message: t without a symbol',
    ]);
    expect(sink.states).toEqual(['connecting', 'ok']);
  });
});

describe('Alpaca source: first prices from the snapshots', () => {
  it('delivers the latest trade and quote of each symbol before streaming, with the key headers', async () => {
    standIn.snapshots.set(
      'AAPL',
      `{"latestTrade":{"t":"${T1}","x":"V","p":187.355,"s":50,"c":["@"],"i":7,"z":"C"},` +
        `"latestQuote":{"t":"${T1}","bx":"V","bp":187.3,"bs":1,"ax":"V","ap":187.41,"as":2,"c":["R"],"z":"C"},` +
        '"minuteBar":{"t":"2024-03-01T15:29:00Z","o":187,"h":187.5,"l":186.9,"c":187.3,"v":1000,"n":10,"vw":187.2}}',
    );
    await alpaca().start(['AAPL', 'MSFT'], sink);

    const time = new Date('2024-03-01T15:30:00.123Z');
    expect(sink.trades).toEqual([{ symbol: 'AAPL', price: 1_873_550, size: '50', time }]);
    expect(sink.quotes).toEqual([{ symbol: 'AAPL', bid: 1_873_000, ask: 1_874_100, time }]);
    const [request] = standIn.restRequests;
    expect(request!.path).toBe('/v2/stocks/snapshots');
    expect(Object.fromEntries(request!.query)).toEqual({ symbols: 'AAPL,MSFT', feed: 'iex' });
    expect(request!.headers['apca-api-key-id']).toBe('PKTEST');
    expect(request!.headers['apca-api-secret-key']).toBe('test-secret');

    await until(() => sink.last === 'ok');
    expect(sink.calls).toEqual(['connecting', 'trade', 'quote', 'ok']);
  });

  it('reports a failed snapshot request and streams regardless', async () => {
    standIn.restStatus = 500;
    await alpaca().start(['AAPL'], sink);
    await until(() => sink.last === 'ok');
    expect(sink.skips).toEqual(['snapshots unavailable: HTTP 500']);
    expect(sink.states).toEqual(['connecting', 'ok']);
  });

  it('takes a refused snapshot request (403) as refused credentials until the stream accepts them', async () => {
    standIn.restStatus = 403;
    await alpaca().start(['AAPL'], sink);
    await until(() => sink.last === 'ok');
    expect(sink.states).toEqual(['connecting', 'invalid_auth', 'ok']);
    expect(sink.details[1]).toBe('snapshots refused the credentials (HTTP 403)');
  });
});

describe('Alpaca source: crypto', () => {
  it('maps BTC-USD to BTC/USD on its own endpoint and back on everything it delivers', async () => {
    standIn.snapshots.set('BTC/USD', `{"latestTrade":{"t":"${T1}","p":43210.12345,"s":0.0123,"i":1,"tks":"B"}}`);
    await alpaca().start(['AAPL', 'BTC-USD'], sink);
    await until(() => sink.last === 'ok');

    const crypto = standIn.restRequests.find((r) => r.path === '/v1beta3/crypto/us/snapshots');
    expect(Object.fromEntries(crypto!.query)).toEqual({ symbols: 'BTC/USD' });
    expect(sink.trades).toEqual([{ symbol: 'BTC-USD', price: 432_101_235, size: '0.0123', time: new Date('2024-03-01T15:30:00.123Z') }]);

    const byPath = Object.fromEntries(standIn.connections.map((c) => [c.path, c.subscribes[0]?.trades]));
    expect(byPath).toEqual({ '/v2/iex': ['AAPL'], '/v1beta3/crypto/us': ['BTC/USD'] });
    // One state for both connections: ok only once both are subscribed.
    expect(sink.states).toEqual(['connecting', 'ok']);

    standIn.send(`[{"T":"q","S":"BTC/USD","bp":43210.1,"bs":0.5,"ap":43210.25,"as":0.7,"t":"${T1}"}]`, '/v1beta3/crypto/us');
    await until(() => sink.quotes.length === 1);
    expect(sink.quotes[0]).toMatchObject({ symbol: 'BTC-USD', bid: 432_101_000, ask: 432_102_500 });
  });
});

describe('Alpaca source: stop', () => {
  it('leaves nothing running: a process that stops it while a reconnect is pending exits by itself', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', STOPPING_PROCESS], {
      env: { ...process.env, SOURCE_MODULE: new URL('../../../src/market/sources/alpaca.ts', import.meta.url).href, STREAM_URL: standIn.streamUrl, REST_URL: standIn.restUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await until(() => output.includes('ok'), 15_000);
      standIn.drop();
      // The next attempt would come 30 to 60 s later: only a cancelled timer lets the process end sooner.
      await until(() => child.exitCode !== null, 10_000);
    } finally {
      child.kill();
    }
    expect(child.exitCode).toBe(0);
    expect(output).toBe('connecting\nok\nconnecting\nstopped\n');
    expect(standIn.connections).toHaveLength(2);
  });
});

/** Streams stocks and crypto, and stops as soon as the stand-in drops it (its reconnect then pending). */
const STOPPING_PROCESS = `
  const { AlpacaSource } = await import(process.env.SOURCE_MODULE);
  const { pino } = await import('pino');
  const source = new AlpacaSource({
    keyId: 'PKTEST', secretKey: 'test-secret', streamUrl: process.env.STREAM_URL, restUrl: process.env.REST_URL,
    retryMinMs: 60000, retryMaxMs: 60000, logger: pino({ level: 'silent' }),
  });
  let streamed = false;
  await source.start(['AAPL', 'BTC-USD'], {
    trade() {}, quote() {}, bar() {}, skipped() {},
    state(state) {
      process.stdout.write(state + '\\n');
      if (state === 'ok') streamed = true;
      if (state === 'connecting' && streamed) void source.stop().then(() => process.stdout.write('stopped\\n'));
    },
  });
`;

describe('Alpaca wire', () => {
  it('reads control messages and keeps numbers as written', () => {
    expect(readFrame('[{"T":"error","code":402,"msg":"auth failed"}]')).toEqual([{ kind: 'error', code: 402, msg: 'auth failed' }]);
    expect(readFrame('[{"T":"t","S":"X","p":0.30000000000000004,"s":1.5,"t":"2024-01-01T00:00:00Z"}]')).toEqual([
      { kind: 'trade', print: { symbol: 'X', price: 3_000, size: '1.5', time: new Date('2024-01-01T00:00:00Z') } },
    ]);
  });
});
