/**
 * Child of bench/feed/run.ts: the baseline, a bare `ws` WebSocketServer on a plain HTTP server. The
 * parent preloads the exact frames the OMS feed delivered; each `POST /publish/<i>` broadcasts the
 * i-th group of them to every client, then answers (the OMS also publishes right after the commit,
 * before the REST answer is written). No seqs, no subscriptions, no buffer bound: just send().
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { startProbes } from './sampler.js';

let groups: string[][] = [];
const server = createServer((req, res) => {
  const m = /^\/publish\/(\d+)$/.exec(req.url ?? '');
  req.resume();
  req.on('end', () => {
    const group = m ? groups[Number(m[1])] : undefined;
    if (req.method !== 'POST' || !group) {
      res.writeHead(404).end();
      return;
    }
    for (const text of group) for (const ws of wss.clients) ws.send(text);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 64 * 1024 });
wss.on('connection', (ws) => ws.on('error', () => undefined));
process.on('message', (msg: { type: string; groups?: string[][] }) => {
  if (msg.type === 'frames' && msg.groups) {
    groups = msg.groups;
    process.send?.({ type: 'frames-loaded', count: groups.length });
  }
});
startProbes(server);
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
