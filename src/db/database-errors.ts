/**
 * Errors that mean the database cannot be reached or went away, as Prisma (P1xxx, pool timeout)
 * and node-postgres (socket errors, SQLSTATE classes 08 and 57P, 53300, 55000 for a database that
 * takes no connections) report them, anywhere in the error's cause chain. A request that meets one
 * did nothing: it is answered 503, not 500.
 */
const CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '53300', '55000', '57P01', '57P02', '57P03']);
const MESSAGES = /Connection terminated|connection (is )?(closed|refused)|Can't reach database|server closed the connection|not currently accepting connections/i;

export function isDatabaseUnreachable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 6 && e !== null && typeof e === 'object'; depth++) {
    const { code, message, cause, originalCode } = e as { code?: unknown; message?: unknown; cause?: unknown; originalCode?: unknown };
    if (typeof code === 'string' && (CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof originalCode === 'string' && (CODES.has(originalCode) || originalCode.startsWith('08'))) return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    e = cause;
  }
  return false;
}
