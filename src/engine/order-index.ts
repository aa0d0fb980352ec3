/**
 * Live orders by id. A Map did this job, but with 100,000 resting orders its lookups were the
 * largest single cost of placing an order. This is a chained hash table over typed arrays: `heads`
 * maps a bucket to its first entry, and each entry (`ids`, `nexts`, `items`, one index per entry)
 * links to the next of its bucket.
 *
 * The bucket of an id keeps consecutive ids close: the OMS numbers orders consecutively, and with a
 * hash that scattered them (open addressing, Fibonacci hashing, the previous design) every new order
 * and every fill touched a cold cache line or three of a table several MB large, which cost more
 * than the rest of placing the order. Ids within an aligned block of 128 share one stretch of
 * `heads`; the higher bits are folded in so that ids a table size apart, or ids with a power-of-two
 * stride, still spread over the buckets. Chaining, unlike linear probing, does not mind ids that
 * land next to each other. Freed entries are reused last-freed first, so a new order usually takes
 * the entry of an order that left moments ago, still in cache.
 */
export class OrderIndex<T> {
  /** bucket -> first entry + 1; 0 = empty bucket. */
  private heads: Int32Array;
  private ids: Float64Array;
  /** entry -> next entry of its bucket (or of the free list) + 1; 0 = none. */
  private nexts: Int32Array;
  /** undefined marks a free entry. */
  private items: (T | undefined)[];
  private mask: number;
  private shift: number;
  private count = 0;
  /**
   * First free entry + 1 (0 = none). Every entry not in use is on this list, unused ones included,
   * so set() takes entries one way only: a separate path for never-used entries left the free-list
   * path without type feedback until the first delete (in a book that only fills, the first trade),
   * and set()'s optimized code, with every function it was inlined into, was thrown away then.
   */
  private free = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.heads = new Int32Array(capacity);
    this.ids = new Float64Array(capacity);
    this.nexts = new Int32Array(capacity);
    this.items = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.addFree(0);
  }

  get size(): number {
    return this.count;
  }

  get(id: number): T | undefined {
    const e = this.find(id);
    return e < 0 ? undefined : this.items[e];
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  /** `value` must not be undefined (that marks a free entry). */
  set(id: number, value: T): void {
    const found = this.find(id);
    if (found >= 0) this.items[found] = value;
    else this.add(id, value);
  }

  /**
   * set() for an id known to be absent, without the lookup: the book checks every new id for
   * duplicates when the order arrives, and an order resting or re-entering is never in the index.
   */
  add(id: number, value: T): void {
    if (this.count === this.ids.length) this.grow();
    const e = this.free - 1;
    this.free = this.nexts[e];
    const b = this.bucket(id);
    this.ids[e] = id;
    this.items[e] = value;
    this.nexts[e] = this.heads[b];
    this.heads[b] = e + 1;
    this.count++;
  }

  delete(id: number): boolean {
    const b = this.bucket(id);
    const ids = this.ids;
    const nexts = this.nexts;
    let prev = -1;
    for (let e = this.heads[b] - 1; e >= 0; prev = e, e = nexts[e] - 1) {
      if (ids[e] !== id) continue;
      if (prev < 0) this.heads[b] = nexts[e];
      else nexts[prev] = nexts[e];
      this.items[e] = undefined;
      nexts[e] = this.free;
      this.free = e + 1;
      this.count--;
      return true;
    }
    return false;
  }

  /** Every value, in no particular order. */
  *values(): IterableIterator<T> {
    for (let e = 0; e < this.items.length; e++) {
      const v = this.items[e];
      if (v !== undefined) yield v;
    }
  }

  private find(id: number): number {
    const ids = this.ids;
    const nexts = this.nexts;
    for (let e = this.heads[this.bucket(id)] - 1; e >= 0; e = nexts[e] - 1) {
      if (ids[e] === id) return e;
    }
    return -1;
  }

  /**
   * The id's aligned block of 128 goes to a stretch of 128 buckets picked by Fibonacci hashing of
   * the block number (and of the id's high bits); the id's place in its block, xored into that,
   * picks the bucket. Consecutive ids thus fill one stretch, while ids a multiple of 128 apart fall
   * in unrelated stretches, and within a stretch at places the block's hash varies.
   */
  private bucket(id: number): number {
    return this.bucketOf(id | 0, (id / 4294967296) | 0);
  }

  /**
   * The bucket from the id's low and high 32 bits. grow() reads ids back from a Float64Array and
   * passes their halves as integers: passing the ids themselves made bucket() see boxed doubles
   * beside the small integers of every other caller, and its optimized code was thrown away at
   * each growth.
   */
  private bucketOf(lo: number, hi: number): number {
    const block = (lo >>> 7) ^ Math.imul(hi, 0x85ebca6b);
    return ((Math.imul(block, 0x9e3779b1) >>> this.shift) ^ (lo & 127)) & this.mask;
  }

  /** Only when every entry is in use: entries keep their places, the buckets are rebuilt. */
  private grow(): void {
    const capacity = this.ids.length * 2;
    const ids = new Float64Array(capacity);
    ids.set(this.ids);
    const items = new Array<T | undefined>(capacity).fill(undefined);
    const used = this.items.length;
    for (let e = 0; e < used; e++) items[e] = this.items[e];
    this.ids = ids;
    this.items = items;
    this.heads = new Int32Array(capacity);
    this.nexts = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    const heads = this.heads;
    const nexts = this.nexts;
    for (let e = 0; e < used; e++) {
      const id = ids[e];
      const b = this.bucketOf(id | 0, (id / 4294967296) | 0);
      nexts[e] = heads[b];
      heads[b] = e + 1;
    }
    this.addFree(used);
  }

  /**
   * Puts the entries from `first` to the end on the free list, in order, so that they are taken in
   * ascending order (neighbouring entries for consecutive orders). The list must be empty.
   */
  private addFree(first: number): void {
    const nexts = this.nexts;
    const end = nexts.length;
    for (let e = first; e < end - 1; e++) nexts[e] = e + 2;
    nexts[end - 1] = 0;
    this.free = first + 1;
  }
}
