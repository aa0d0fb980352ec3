import type { Logger } from 'pino';
import type { Env } from '../../config/env.js';
import type { MarketDataSource } from '../market-data.js';
import { ReplaySource, replayOptionsFromEnv } from './replay.js';
import { AlpacaSource } from './alpaca.js';
import { CoinbaseSource } from './coinbase.js';

/** The market data source MARKET_DATA names, or null for the built-in simulator. */
export function marketDataSourceFromEnv(env: Env, logger: Logger): MarketDataSource | null {
  switch (env.MARKET_DATA) {
    case 'simulator':
      return null;
    case 'replay':
      return new ReplaySource(replayOptionsFromEnv({ REPLAY_FILE: env.REPLAY_FILE, REPLAY_SPEED: String(env.REPLAY_SPEED), REPLAY_START: env.REPLAY_START }));
    case 'alpaca':
      return new AlpacaSource({
        // Checked present by the environment's schema when MARKET_DATA=alpaca.
        keyId: env.APCA_API_KEY_ID!,
        secretKey: env.APCA_API_SECRET_KEY!,
        feed: env.ALPACA_DATA_FEED,
        streamUrl: env.MARKET_DATA_STREAM_URL,
        restUrl: env.MARKET_DATA_REST_URL,
        retryMinMs: env.MARKET_DATA_RETRY_MIN_MS,
        retryMaxMs: env.MARKET_DATA_RETRY_MAX_MS,
        logger,
      });
    case 'coinbase':
      return new CoinbaseSource({ url: env.MARKET_DATA_STREAM_URL, retryMinMs: env.MARKET_DATA_RETRY_MIN_MS, retryMaxMs: env.MARKET_DATA_RETRY_MAX_MS });
  }
}

/**
 * The source MARKET_DATA names for a process that takes the market over in a cluster: a replay
 * resumes at `at` (the market time last relayed by the previous holder: the last print of each symbol
 * before it first, then the file from there), else at REPLAY_START; a live provider simply connects.
 */
export function marketDataSourceResumedAt(env: Env, logger: Logger, at: Date | null): MarketDataSource | null {
  if (env.MARKET_DATA !== 'replay' || at === null) return marketDataSourceFromEnv(env, logger);
  return new ReplaySource({ ...replayOptionsFromEnv({ REPLAY_FILE: env.REPLAY_FILE, REPLAY_SPEED: String(env.REPLAY_SPEED) }), start: at });
}

/** The symbols that follow the source: MARKET_DATA_SYMBOLS, else the provider's usual ones, else the catalogue's. */
export function followedSymbols(env: Env, catalogue: readonly string[]): string[] {
  const listed = env.MARKET_DATA_SYMBOLS?.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (listed && listed.length > 0) return [...new Set(listed)];
  return env.MARKET_DATA === 'coinbase' ? ['BTC-USD', 'ETH-USD'] : [...catalogue];
}
