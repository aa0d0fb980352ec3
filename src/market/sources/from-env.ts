import type { Logger } from 'pino';
import type { Env } from '../../config/env.js';
import type { MarketDataSource } from '../market-data.js';
import { ReplaySource, replayOptionsFromEnv } from './replay.js';

/** The market data source MARKET_DATA names, or null for the built-in simulator. */
export function marketDataSourceFromEnv(env: Env, _logger: Logger): MarketDataSource | null {
  switch (env.MARKET_DATA) {
    case 'simulator':
      return null;
    case 'replay':
      return new ReplaySource(replayOptionsFromEnv({ REPLAY_FILE: env.REPLAY_FILE, REPLAY_SPEED: String(env.REPLAY_SPEED), REPLAY_START: env.REPLAY_START }));
    default:
      throw new Error(`MARKET_DATA=${env.MARKET_DATA} is not available in this build`);
  }
}

/** The symbols that follow the source: MARKET_DATA_SYMBOLS, else the provider's usual ones, else the catalogue's. */
export function followedSymbols(env: Env, catalogue: readonly string[]): string[] {
  const listed = env.MARKET_DATA_SYMBOLS?.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (listed && listed.length > 0) return [...new Set(listed)];
  return env.MARKET_DATA === 'coinbase' ? ['BTC-USD', 'ETH-USD'] : [...catalogue];
}
