import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * A seeded trade tape for the replay: `time,symbol,price,size,bid,ask`, one row every 10 ms, the
 * symbols in turn at random, each price a random walk of whole cents (never below 1.00) with the
 * quote a cent either side. The same seed always writes the same file.
 */
export function tapeSymbols(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `BM${String(i).padStart(2, '0')}`);
}

export async function writeTradeTape(file: string, rows: number, symbols: readonly string[], seed = 20261207): Promise<void> {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  // Cents, as integers: the text is exact, no float rounding.
  const cents = symbols.map((_, i) => 5_000 + i * 900);
  // A weekday morning in New York, inside any session the instruments might keep.
  const start = Date.UTC(2026, 2, 3, 14, 45, 0);
  const out = createWriteStream(file, { encoding: 'utf8' });
  const text = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
  let chunk = 'time,symbol,price,size,bid,ask\n';
  for (let i = 0; i < rows; i++) {
    const k = Math.floor(rnd() * symbols.length);
    cents[k] = Math.max(100, cents[k] + Math.floor(rnd() * 7) - 3);
    const c = cents[k];
    chunk += `${new Date(start + i * 10).toISOString()},${symbols[k]},${text(c)},${1 + Math.floor(rnd() * 500)},${text(c - 1)},${text(c + 1)}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}
