/**
 * The lines of a text stream, a chunk at a time: `take()` hands out the lines already read, without
 * waiting, and `more()` reads the next chunk. A replay at full speed then pays for one await per
 * chunk instead of one per line (readline's iterator), and the stream is still read only as fast as
 * lines are taken, so a large file stays on disk. A line ends at `\n`, an optional `\r` before it
 * dropped (files written on Windows).
 */
export class LineReader {
  private lines: string[] = [];
  private index = 0;
  /** The start of a line whose end is in the next chunk. */
  private rest = '';
  private ended = false;

  constructor(private readonly chunks: AsyncIterator<string>) {}

  /** The next line read already, or undefined: then more() reads on. */
  take(): string | undefined {
    if (this.index >= this.lines.length) return undefined;
    const line = this.lines[this.index++];
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }

  /** Reads the next chunk (a last line without `\n` at the end); false once the input is over. */
  async more(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.chunks.next();
    if (next.done) {
      this.ended = true;
      this.lines = this.rest === '' ? [] : [this.rest];
      this.index = 0;
      this.rest = '';
      return this.lines.length > 0;
    }
    // Only the new chunk is searched: a long line's start is not read again at every chunk.
    const parts = next.value.split('\n');
    if (parts.length === 1) {
      this.rest += parts[0];
      this.lines = [];
    } else {
      parts[0] = this.rest + parts[0];
      this.rest = parts.pop()!;
      this.lines = parts;
    }
    this.index = 0;
    return true;
  }

  /** The next line, reading on as needed; undefined at the end of the input. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const line = this.take();
      if (line !== undefined) return line;
      if (!(await this.more())) return undefined;
    }
  }
}
