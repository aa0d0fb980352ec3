import http from 'node:http';
import https from 'node:https';

/**
 * The bot's HTTP client for the OMS and for Slack: node:http(s) over kept-alive connections. The bot
 * makes several calls per command and per fill, and global fetch spends several times the CPU of
 * node:http on each (bench/slack measures what that costs in ack time); this is the bot's hot path.
 */
export interface HttpRequest {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
  /** The whole exchange, connection included; past it the request is destroyed. */
  readonly timeoutMs: number;
  /** An abort from the caller (fetch's `signal`), besides the timeout. */
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  /** As received: name, value, name, value, ... */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

/** Thrown when the request did not end within its timeout; `name` is what fetch would use. */
export class HttpTimeoutError extends Error {
  constructor(url: string, timeoutMs: number) {
    super(`no answer from ${new URL(url).origin} within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * The server began to answer (`status` is known) and the connection failed before the answer was
 * whole: the request reached the server, which may have acted on it.
 */
export class IncompleteResponseError extends Error {
  constructor(
    readonly status: number,
    cause: Error,
  ) {
    super(`the answer (${status}) was cut off: ${cause.message}`);
    this.name = 'IncompleteResponseError';
  }
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** Requests that change nothing, hence safe to send twice. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * One request, its whole answer buffered. A kept-alive connection the server closed just as it was
 * reused fails before any answer. A GET or HEAD that meets one is sent once more, on a fresh
 * connection, within the same timeout. Other requests are not: from the client's side that failure
 * looks the same as a server that acted on the request and then dropped the connection.
 */
export async function httpRequest(url: string, request: HttpRequest): Promise<HttpResponse> {
  const deadline = Date.now() + request.timeoutMs;
  try {
    return await send(url, request, true);
  } catch (e) {
    if (!(e instanceof StaleConnectionError)) throw e;
    if (!SAFE_METHODS.has(request.method)) throw e.cause;
    return send(url, { ...request, timeoutMs: Math.max(1, deadline - Date.now()) }, false);
  }
}

/** A reused connection failed before any answer; `cause` is the network error. */
class StaleConnectionError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

function send(url: string, request: HttpRequest, reuse: boolean): Promise<HttpResponse> {
  const target = new URL(url);
  const agent = agents[target.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new TypeError(`unsupported protocol ${target.protocol}`));
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise<HttpResponse>((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    const req = transport.request(target, { method: request.method, headers, agent: reuse ? agent : false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        done();
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) });
      });
      res.once('error', fail);
    });
    let answered = false;
    let status = 0;
    req.once('response', (res) => {
      answered = true;
      status = res.statusCode ?? 0;
    });
    const timer = setTimeout(() => req.destroy(new HttpTimeoutError(url, request.timeoutMs)), request.timeoutMs);
    // The signal's own reason (a TimeoutError for AbortSignal.timeout), as fetch would reject with.
    const onAbort = () => req.destroy((request.signal?.reason as Error | undefined) ?? new Error('aborted'));
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    };
    function fail(e: Error): void {
      done();
      const code = (e as { code?: string }).code;
      if (answered && !(e instanceof HttpTimeoutError) && !request.signal?.aborted) reject(new IncompleteResponseError(status, e));
      else if (reuse && req.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE')) reject(new StaleConnectionError(e));
      else reject(e);
    }
    req.once('error', fail);
    if (request.signal?.aborted) onAbort();
    req.end(request.body);
  });
}

/**
 * `fetch` for Bolt and its WebClient (their `fetch` option), on httpRequest. It takes what they send
 * (a string, URLSearchParams or byte body, a plain headers object, an optional signal) and answers
 * with a standard Response. Redirects are not followed, as the WebClient asks; nor is anything sent
 * twice (the WebClient has its own retry policy).
 */
export function keepAliveFetch(timeoutMs: number): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (input instanceof Request) throw new TypeError('keepAliveFetch takes a URL, not a Request');
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof URLSearchParams) && !(body instanceof Uint8Array)) {
      // FormData (file uploads) would need multipart encoding; the bot uploads nothing.
      throw new TypeError('keepAliveFetch sends string, URLSearchParams and byte bodies only');
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    if (body instanceof URLSearchParams && headers['content-type'] === undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
    }
    const res = await httpRequest(String(input), {
      method: init.method ?? 'GET',
      headers,
      ...(body === undefined || body === null ? {} : { body: body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : String(body) }),
      timeoutMs,
      ...(init.signal ? { signal: init.signal } : {}),
    });
    const responseHeaders = new Headers();
    for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
    // A null-body status must not be given a body, even an empty one.
    const nullBody = res.status === 204 || res.status === 205 || res.status === 304;
    return new Response(nullBody ? null : new Uint8Array(res.body), { status: res.status, statusText: res.statusText, headers: responseHeaders });
  }) as typeof fetch;
}
