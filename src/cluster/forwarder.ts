import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';

/** Marks a request one process forwarded to another: it is never forwarded a second time. */
export const FORWARDED_HEADER = 'x-oms-forwarded-by';
/** Hop-by-hop headers (RFC 9110 7.6.1): each connection's own, never passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length']);

export interface Forwarded {
  readonly status: number;
  readonly retryable: boolean;
}

/**
 * Passes a request on to the process that owns its desk and its answer back as it came (status,
 * body, headers such as Retry-After), so a client cannot tell which process served it. The body is
 * sent as the client sent it (the bytes the JSON parser read), never re-serialized.
 */
export class Forwarder {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly secureAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(
    private readonly selfId: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Resolves once answered; rejects when the owner could not be reached (nothing was answered). */
  forward(target: string, req: IncomingMessage & { rawBody?: Buffer; originalUrl?: string; ip?: string }, res: ServerResponse): Promise<void> {
    const url = new URL(req.originalUrl ?? req.url ?? '/', target);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers[FORWARDED_HEADER] = this.selfId;
    // The owner trusts one proxy hop (this process): the client's address as this process saw it
    // goes last, so the owner's audit names the client, not this process.
    const client = req.ip ?? req.socket.remoteAddress;
    if (client) headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${client}` : client;
    const body = req.rawBody;
    if (body) headers['content-length'] = String(body.length);
    const secure = url.protocol === 'https:';
    return new Promise<void>((resolve, reject) => {
      const out = (secure ? https : http).request(
        url,
        { method: req.method, headers, agent: secure ? this.secureAgent : this.agent, timeout: this.timeoutMs },
        (answer) => {
          const back: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) back[name] = value;
          res.writeHead(answer.statusCode ?? 502, back);
          answer.pipe(res);
          answer.on('end', () => resolve());
          answer.on('error', () => {
            res.destroy();
            resolve();
          });
        },
      );
      out.on('timeout', () => out.destroy(new Error('the owner did not answer in time')));
      out.on('error', (error) => {
        if (res.headersSent) {
          res.destroy();
          resolve();
        } else reject(error);
      });
      out.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
    this.secureAgent.destroy();
  }
}
