/**
 * Server-side probes for the feed benchmark, run inside a server child: RSS and CPU sampled every
 * SAMPLE_MS, and the close time of every WebSocket connection (by the client's port), reported to
 * the parent over IPC.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface Sample {
  /** Date.now() */
  readonly t: number;
  readonly rss: number;
  readonly heapUsed: number;
  /** user + system CPU time since the process started, µs */
  readonly cpu: number;
}

/** process.memoryUsage() right after a full garbage collection (the child runs with --expose-gc). */
export interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
  /** memory of Buffers and other off-heap objects */
  readonly external: number;
}

export type Request = { type: 'samples'; since: number } | { type: 'socket'; port: number } | { type: 'memory' } | { type: string; [k: string]: unknown };

const SAMPLE_MS = 100;

export function startProbes(server: Server): void {
  const samples: Sample[] = [];
  const take = (): void => {
    const m = process.memoryUsage();
    const c = process.cpuUsage();
    samples.push({ t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, cpu: c.user + c.system });
  };
  take();
  setInterval(take, SAMPLE_MS).unref();

  // Only numbers are kept: the probe holds no reference to a socket.
  const closedAt = new Map<number, number | null>();
  server.on('upgrade', (_req, socket: Socket) => {
    const port = socket.remotePort ?? -1;
    closedAt.set(port, null);
    socket.once('close', () => closedAt.set(port, Date.now()));
  });

  process.on('message', (msg: Request) => {
    if (msg.type === 'samples') {
      take();
      process.send?.({ type: 'samples', samples: samples.filter((s) => s.t >= (msg.since as number)) });
    } else if (msg.type === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      process.send?.({ type: 'memory', rss: m.rss, heapUsed: m.heapUsed, external: m.external });
    } else if (msg.type === 'socket') {
      const port = msg.port as number;
      process.send?.({ type: 'socket', port, known: closedAt.has(port), closedAt: closedAt.get(port) ?? null });
    }
  });
}
