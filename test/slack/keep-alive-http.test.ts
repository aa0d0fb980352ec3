import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { httpRequest, IncompleteResponseError, keepAliveFetch } from '../../src/slack/keep-alive-http.js';

/**
 * A local server that counts connections and requests. `/drop-next` makes it drop, without an answer,
 * the next request that arrives on an already used connection: what a kept-alive connection closed by
 * the server at the moment the client reuses it looks like to the client.
 */
let server: Server;
let base: string;
let connections = 0;
let requests: { method?: string; url?: string; type?: string; body: string; connection: number }[] = [];
let dropReused = false;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const socket = req.socket as typeof req.socket & { n?: number; served?: number };
      socket.served = (socket.served ?? 0) + 1;
      requests.push({ method: req.method, url: req.url, type: req.headers['content-type'], body, connection: socket.n ?? 0 });
      if (req.url === '/drop-next') {
        dropReused = true;
        res.end('armed');
      } else if (dropReused && socket.served > 1) {
        dropReused = false;
        socket.destroy();
      } else if (req.url === '/cut') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"partial":');
        setTimeout(() => socket.destroy(), 20);
      } else if (req.url === '/205') {
        res.writeHead(205).end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 1000);
      } else if (req.url === '/empty') {
        res.writeHead(204).end();
      } else {
        res.writeHead(201, { 'content-type': 'application/json', 'x-seen': 'yes' }).end(JSON.stringify({ echo: body }));
      }
    });
  });
  server.on('connection', (socket: { n?: number }) => (socket.n = ++connections));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  requests = [];
  dropReused = false;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const post = (path: string, body = '{"a":1}', timeoutMs = 5000) =>
  httpRequest(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, timeoutMs });

describe('httpRequest', () => {
  it('answers with status, headers and the whole body, over one kept-alive connection', async () => {
    const first = await post('/echo');
    const second = await post('/echo', '{"b":2}');
    expect(first.status).toBe(201);
    expect(JSON.parse(first.body.toString())).toEqual({ echo: '{"a":1}' });
    expect(JSON.parse(second.body.toString())).toEqual({ echo: '{"b":2}' });
    expect(first.rawHeaders).toEqual(expect.arrayContaining(['x-seen', 'yes']));
    expect(requests[1].connection).toBe(requests[0].connection);
  });

  it('sends a GET dropped on a reused connection once more, on a new connection', async () => {
    await post('/drop-next');
    const res = await httpRequest(`${base}/echo`, { method: 'GET', headers: {}, timeoutMs: 5000 });
    expect(res.status).toBe(201);
    // armed, then dropped on the old connection, then answered on a new one
    expect(requests.map((r) => [r.method, r.url])).toEqual([['POST', '/drop-next'], ['GET', '/echo'], ['GET', '/echo']]);
    expect(requests[2].connection).not.toBe(requests[1].connection);
  });

  it('does not send a POST twice: the server may have acted on it before the connection dropped', async () => {
    await post('/drop-next');
    await expect(post('/echo', '{"c":3}')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(requests.map((r) => r.url)).toEqual(['/drop-next', '/echo']);
  });

  it('reports an answer cut off after its status as incomplete, with that status', async () => {
    const e = await post('/cut').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(IncompleteResponseError);
    expect(e).toMatchObject({ status: 200 });
  });

  it('fails with a TimeoutError when the answer does not come in time', async () => {
    await expect(post('/slow', '{}', 100)).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('fails with the network error code when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    await expect(httpRequest(`http://127.0.0.1:${port}/`, { method: 'GET', headers: {}, timeoutMs: 5000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('keepAliveFetch', () => {
  const fetchFn = keepAliveFetch(5000);

  it('answers with a standard Response', async () => {
    const res = await fetchFn(`${base}/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"d":4}' });
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-seen')).toBe('yes');
    expect(await res.json()).toEqual({ echo: '{"d":4}' });
    expect(requests[0]).toMatchObject({ method: 'POST', type: 'application/json' });
  });

  it('sends URLSearchParams as a form', async () => {
    await fetchFn(`${base}/echo`, { method: 'POST', body: new URLSearchParams({ channel: 'C1', text: 'a b' }) });
    expect(requests[0].type).toMatch(/^application\/x-www-form-urlencoded/);
    expect(requests[0].body).toBe('channel=C1&text=a+b');
  });

  it('gives a 204 and a 205 a null body', async () => {
    const res = await fetchFn(`${base}/empty`, { method: 'POST', body: '' });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    const reset = await fetchFn(`${base}/205`, { method: 'POST', body: '' });
    expect(reset.status).toBe(205);
    expect(reset.body).toBeNull();
  });

  it('sends byte bodies as they are', async () => {
    await fetchFn(`${base}/echo`, { method: 'POST', body: new TextEncoder().encode('{"é":1}') });
    expect(requests[0].body).toBe('{"é":1}');
  });

  it("stops at the caller's abort signal", async () => {
    await expect(fetchFn(`${base}/slow`, { method: 'GET', signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('refuses a body it cannot send rather than sending something else', async () => {
    await expect(fetchFn(`${base}/echo`, { method: 'POST', body: new Blob(['x']) })).rejects.toThrow(TypeError);
  });
});
