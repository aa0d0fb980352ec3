import { describe, expect, it } from '@jest/globals';
import { LineReader } from '../../../src/market/sources/line-reader.js';

async function* chunksOf(...chunks: string[]): AsyncGenerator<string> {
  for (const chunk of chunks) yield chunk;
}

async function allLines(reader: LineReader): Promise<string[]> {
  const lines: string[] = [];
  for (let line = await reader.next(); line !== undefined; line = await reader.next()) lines.push(line);
  return lines;
}

describe('LineReader', () => {
  it('joins a line split over chunks, drops the \\r of CRLF and keeps a last line without a newline', async () => {
    const reader = new LineReader(chunksOf('time,sym', 'bol\r\n2024-06-14T13:30:00Z,AA', 'PL\n\n', 'last,line'));
    expect(await allLines(reader)).toEqual(['time,symbol', '2024-06-14T13:30:00Z,AAPL', '', 'last,line']);
  });

  it('hands out the lines of a chunk without reading on, and reads the next chunk only when asked', async () => {
    let read = 0;
    async function* counted(): AsyncGenerator<string> {
      for (const chunk of ['a\nb\n', 'c\n']) {
        read++;
        yield chunk;
      }
    }
    const reader = new LineReader(counted());
    expect(reader.take()).toBeUndefined();
    expect(await reader.more()).toBe(true);
    expect([reader.take(), reader.take(), reader.take()]).toEqual(['a', 'b', undefined]);
    expect(read).toBe(1);
    expect(await reader.more()).toBe(true);
    expect(reader.take()).toBe('c');
    expect(await reader.more()).toBe(false);
    expect(reader.take()).toBeUndefined();
    expect(read).toBe(2);
  });

  it('ends at once on an empty input', async () => {
    expect(await allLines(new LineReader(chunksOf()))).toEqual([]);
    expect(await allLines(new LineReader(chunksOf('', '')))).toEqual([]);
  });

  it('reads a very long line in time proportional to its length, as it reads the same bytes in short lines', async () => {
    // 32 MB in 64 KB chunks, as a file stream delivers them: one line, then the same bytes as 100-byte lines.
    const chunk = 'x'.repeat(65_536);
    const shortLines = `${'x'.repeat(99)}\n`.repeat(655);
    async function* stream(piece: string, count: number, end: string): AsyncGenerator<string> {
      for (let i = 0; i < count; i++) yield piece;
      yield end;
    }
    const timed = async (reader: LineReader): Promise<{ ms: number; lines: string[] }> => {
      const started = performance.now();
      const lines = await allLines(reader);
      return { ms: performance.now() - started, lines };
    };
    const short = await timed(new LineReader(stream(shortLines, 512, 'last\n')));
    const long = await timed(new LineReader(stream(chunk, 512, '\r\nlast')));
    expect(short.lines).toHaveLength(655 * 512 + 1);
    expect(long.lines.map((line) => line.length)).toEqual([65_536 * 512, 4]);
    // Searching the whole line again at each chunk took a hundred times as long (seconds).
    expect(long.ms).toBeLessThan(5 * short.ms + 250);
  });
});
