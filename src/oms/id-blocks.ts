/**
 * Hands out ids synchronously from blocks reserved in the database, so the engine can number an
 * order without a round trip and several processes never collide. The next block is fetched
 * while half of the current one is still left.
 */
export class IdBlocks {
  private nextId = 0;
  private end = 0;
  private spare: number | null = null;
  private refill: Promise<void> | null = null;

  constructor(
    private readonly reserve: (count: number) => Promise<number>,
    private readonly blockSize = 1000,
  ) {}

  /** Resolves when at least one id is available (at once on the fast path). */
  async ready(): Promise<void> {
    while (!this.available()) await this.fetch();
  }

  /** The id next() gives next; call ready() first. */
  peek(): number {
    if (!this.available()) throw new Error('id block exhausted: call ready() first');
    return this.nextId;
  }

  next(): number {
    if (!this.available()) throw new Error('id block exhausted: call ready() first');
    const id = this.nextId++;
    if (this.end - this.nextId < this.blockSize / 2 && this.spare === null) void this.fetch().catch(() => undefined);
    return id;
  }

  private available(): boolean {
    if (this.nextId < this.end) return true;
    if (this.spare === null) return false;
    this.nextId = this.spare;
    this.end = this.spare + this.blockSize;
    this.spare = null;
    return true;
  }

  private fetch(): Promise<void> {
    this.refill ??= this.reserve(this.blockSize)
      .then((first) => {
        this.spare = first;
      })
      .finally(() => {
        this.refill = null;
      });
    return this.refill;
  }
}
