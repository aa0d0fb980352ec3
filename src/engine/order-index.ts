/**
 * Live orders by id. A Map did this job, but with 100,000 resting orders its lookups were the
 * largest single cost of placing an order: this table keeps the ids in one flat Float64Array
 * (open addressing, linear probing, at most half full), so a lookup is a multiply and usually one
 * cache line. Ids are the OMS's integer order ids; deletion shifts later entries back instead of
 * leaving tombstones, so lookups stay short however many orders come and go.
 */
export class OrderIndex<T> {
  private keys: Float64Array;
  private used: Uint8Array;
  private slots: (T | undefined)[];
  private mask: number;
  private shift: number;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.keys = new Float64Array(capacity);
    this.used = new Uint8Array(capacity);
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
  }

  get size(): number {
    return this.count;
  }

  get(id: number): T | undefined {
    const i = this.find(id);
    return i < 0 ? undefined : this.slots[i];
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  set(id: number, value: T): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const used = this.used;
    const mask = this.mask;
    let i = this.home(id);
    while (used[i] === 1) {
      if (keys[i] === id) {
        this.slots[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    used[i] = 1;
    keys[i] = id;
    this.slots[i] = value;
    this.count++;
  }

  delete(id: number): boolean {
    let hole = this.find(id);
    if (hole < 0) return false;
    const keys = this.keys;
    const used = this.used;
    const slots = this.slots;
    const mask = this.mask;
    // Backward shift: an entry further along the run moves into the hole unless its home slot
    // lies cyclically after the hole (then moving it would put it before its home).
    for (let j = (hole + 1) & mask; used[j] === 1; j = (j + 1) & mask) {
      const home = this.home(keys[j]);
      const fromHoleToJ = (j - hole) & mask;
      const fromHomeToJ = (j - home) & mask;
      if (fromHomeToJ >= fromHoleToJ) {
        keys[hole] = keys[j];
        slots[hole] = slots[j];
        hole = j;
      }
    }
    used[hole] = 0;
    slots[hole] = undefined;
    this.count--;
    return true;
  }

  /** Every value, in no particular order. */
  *values(): IterableIterator<T> {
    for (let i = 0; i < this.used.length; i++) if (this.used[i] === 1) yield this.slots[i] as T;
  }

  private find(id: number): number {
    const keys = this.keys;
    const used = this.used;
    const mask = this.mask;
    for (let i = this.home(id); used[i] === 1; i = (i + 1) & mask) {
      if (keys[i] === id) return i;
    }
    return -1;
  }

  /** Fibonacci hashing of the id's low and high 32 bits: consecutive ids spread over the table. */
  private home(id: number): number {
    const mixed = (id | 0) ^ Math.imul((id / 4294967296) | 0, 0x85ebca6b);
    return Math.imul(mixed, 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldUsed = this.used;
    const oldSlots = this.slots;
    const capacity = oldKeys.length * 2;
    this.keys = new Float64Array(capacity);
    this.used = new Uint8Array(capacity);
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldUsed[i] === 1) this.set(oldKeys[i], oldSlots[i] as T);
    }
  }
}
