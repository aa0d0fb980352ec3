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

  it('reads a line spread over hundreds of chunks whole, its \r\n dropped, and the line after it', async () => {
    // 32 MB in 64 KB chunks, as a file stream delivers them. (How long it takes is a benchmark's
    // business, not a test's: searched again at every chunk it took seconds, now milliseconds.)
    async function* stream(): AsyncGenerator<string> {
      for (let i = 0; i < 512; i++) yield `${String.fromCharCode(97 + (i % 26))}`.repeat(65_536);
      yield '\r\nlast';
    }
    const lines = await allLines(new LineReader(stream()));
    expect(lines.map((line) => line.length)).toEqual([65_536 * 512, 4]);
    expect([lines[0].slice(0, 2), lines[0].slice(65_535, 65_537), lines[0].slice(-1), lines[1]]).toEqual(['aa', 'ab', 'r', 'last']);
  });
});
