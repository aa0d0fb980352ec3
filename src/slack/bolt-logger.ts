import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';

/**
 * Bolt (and its WebClient) log through our pino logger, so there is one log stream and one level.
 * setLevel is ignored on purpose: the service's LOG level rules, not a library's default.
 */
export function boltLogger(logger: Logger): BoltLogger {
  let log = logger.child({ component: 'bolt' });
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (...msg: unknown[]) => {
    const err = msg.find((m) => m instanceof Error);
    const text = msg.filter((m) => !(m instanceof Error)).map(String).join(' ');
    if (err) log[level]({ err }, text);
    else log[level](text);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: () => undefined,
    getLevel: () => (log.isLevelEnabled('debug') ? LogLevel.DEBUG : log.isLevelEnabled('info') ? LogLevel.INFO : log.isLevelEnabled('warn') ? LogLevel.WARN : LogLevel.ERROR),
    setName: (name: string) => {
      log = logger.child({ component: name });
    },
  };
}
