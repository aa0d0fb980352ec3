import { maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';
import { HTTP_ERRORS, type HttpErrorCode } from './http-errors.js';

/**
 * Node's HTTP parser refuses some requests before Express sees them: a request line and headers over
 * `maxHeaderSize` (16 KiB; a 100,000-character query string is one), bytes that are not HTTP, a
 * request too slow to arrive. Node then answers with an empty body; this answers with the API's JSON
 * error instead, so a client reads every refusal the same way. For `server.on('clientError', ...)`.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex & { _httpMessage?: { headersSent?: boolean } | null }): void {
  // A reset peer hears nothing; nor does one whose answer has begun: a second response would corrupt
  // it (Node's own handler makes the same check on the same property).
  if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const [reason, code, message]: [string, HttpErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ['Request Header Fields Too Large', 'HEADERS_TOO_LARGE', `the request line and headers are over ${maxHeaderSize} bytes: shorten the query string or path`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['Request Timeout', 'REQUEST_TIMEOUT', 'the request did not arrive in time']
        : ['Bad Request', 'BAD_REQUEST', 'the request is not valid HTTP'];
  const status = HTTP_ERRORS[code].status;
  const body = JSON.stringify({ error: { code, message, details: [] } });
  // Written, then the connection closed at once, as Node does: the rest of the request is not read.
  socket.write(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.destroy();
}
