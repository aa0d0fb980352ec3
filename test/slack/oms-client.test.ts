import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OmsClient, OmsClientError } from '../../src/slack/oms-client.js';

/** A local HTTP server answering like the OMS does on its edges (errors, silence, garbage). */
let server: Server;
let baseUrl: string;
const seen: { method?: string; url?: string; key?: string; body?: string }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, key: req.headers['x-api-key'] as string, body });
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/api/v1/orders' && req.method === 'POST') {
        const repeat = JSON.parse(body).client_order_id === 'again';
        res.writeHead(repeat ? 200 : 201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: '5', status: 'NEW' }));
      } else if (path === '/api/v1/portfolio/No%20Such') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(
          JSON.stringify({ error: { code: 'UNKNOWN_PORTFOLIO', message: 'no portfolio "No Such"', details: [{ path: 'name', message: 'unknown' }] } }),
        );
      } else if (path === '/api/v1/orders/slow') {
        setTimeout(() => res.writeHead(200).end('{}'), 1000);
      } else if (path === '/api/v1/orders/cut') {
        res.writeHead(201, { 'content-type': 'application/json', 'content-length': '500' });
        res.write('{"id":"5","sta');
        setTimeout(() => req.socket.destroy(), 20);
      } else if (path === '/api/v1/orders/dropped') {
        req.socket.destroy();
      } else if (path === '/api/v1/orders/garbage') {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [], next_cursor: null }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

// A short timeout only where the timeout itself is tested: a loaded machine may take longer than that
// to answer even a local request.
const client = (timeoutMs = 5000) => new OmsClient({ baseUrl: `${baseUrl}/`, apiKey: 'the-bot-key', timeoutMs });

async function failure(p: Promise<unknown>): Promise<OmsClientError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OmsClientError);
    return e as OmsClientError;
  }
  throw new Error('expected the call to fail');
}

describe('OMS REST client', () => {
  it('sends the key and JSON, and tells a new order from a replayed one', async () => {
    expect((await client().placeOrder({ symbol: 'AAPL', side: 'BUY', type: 'MARKET', quantity: 1, portfolio_name: 'P' })).replayed).toBe(false);
    expect(
      (await client().placeOrder({ symbol: 'AAPL', side: 'BUY', type: 'MARKET', quantity: 1, portfolio_name: 'P', client_order_id: 'again' })).replayed,
    ).toBe(true);
    const last = seen[seen.length - 1];
    expect(last).toEqual(expect.objectContaining({ method: 'POST', url: '/api/v1/orders', key: 'the-bot-key' }));
    expect(JSON.parse(last.body!)).toEqual(expect.objectContaining({ client_order_id: 'again', portfolio_name: 'P' }));
  });

  it('encodes path and query parameters', async () => {
    await client().listTrades({ since_id: '42', limit: 500 });
    expect(seen[seen.length - 1].url).toBe('/api/v1/trades?since_id=42&limit=500');
  });

  it('maps the OMS error JSON to a coded error with status and details', async () => {
    const e = await failure(client().getPortfolio('No Such'));
    expect([e.code, e.status, e.message, e.details]).toEqual(['UNKNOWN_PORTFOLIO', 404, 'no portfolio "No Such"', [{ path: 'name', message: 'unknown' }]]);
  });

  it('times out with OMS_TIMEOUT', async () => {
    const e = await failure(client(200).getOrder('slow'));
    expect(e.code).toBe('OMS_TIMEOUT');
  });

  it('reports a non-JSON answer as OMS_BAD_RESPONSE', async () => {
    const e = await failure(client().getOrder('garbage'));
    expect([e.code, e.status]).toEqual(['OMS_BAD_RESPONSE', 502]);
  });

  it('reports an answer cut off after its status as OMS_BAD_RESPONSE: the OMS got the request', async () => {
    const e = await failure(client().cancelOrder('cut'));
    expect([e.code, e.status]).toEqual(['OMS_BAD_RESPONSE', 201]);
  });

  it('reports a connection dropped before any answer as OMS_CONNECTION_LOST, not as unreachable', async () => {
    const e = await failure(client().cancelOrder('dropped'));
    expect(e.code).toBe('OMS_CONNECTION_LOST');
    expect(e.message).toContain('DELETE /orders/dropped');
  });

  it('reports a closed port as OMS_UNREACHABLE, without the key in the message', async () => {
    const closed = new OmsClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, apiKey: 'the-bot-key' });
    const e = await failure(closed.listPortfolios());
    expect(e.code).toBe('OMS_UNREACHABLE');
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).not.toContain('the-bot-key');
  });
});
