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
});
