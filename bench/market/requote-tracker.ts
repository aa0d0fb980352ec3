/**
 * Follows sampled market data messages to the house's re-quote of their symbol, in three steps:
 *   delivered  the source handed the print (or the simulator made the step) to the desk's side;
 *   applied    a reference price taken at or after it went into the desk (LiveMarket conflates
 *              prints: a later print's price may be the one applied; it carries this one's news too);
 *   quoting    a house re-quote of the symbol started after that;
 * and is measured when the house's first modified order of that re-quote is committed (`first`) and
 * when the whole re-quote (every level, both sides) is committed (`done`). A re-quote that changed
 * nothing (the rounded price was already quoted) resolves its samples as `unchanged`, without a delay.
 * The time of each step is kept as well (`phases`), to show where the delay goes.
 * Times are performance.now() of one process.
 */
/** A sampled message: when it was delivered, when a price taken at or after it went into the desk, when its re-quote started. */
interface Sample {
  at: number;
  /** Group commit statements completed before it was delivered. */
  statementsBefore: number;
  appliedAt: number;
  quotingAt: number;
  /** When the first modified order of its re-quote was committed (NaN until then). */
  committedAt: number;
}

interface Track {
  waiting: Sample[];
  applied: Sample[];
  /** Samples of the re-quote in flight, until its first commit. */
  firstPending: Sample[];
}

/** Where a sample's delay went: waiting for the flush, from the price in the desk to its re-quote's start, and that re-quote's commit. */
export interface Phases {
  toApplied: number[];
  toQuoting: number[];
  toCommitted: number[];
  /** Statements completed from its delivery to its re-quote's commit, that one included: the commits it waited through. */
  statements: number[];
}

export class RequoteTracker {
  private readonly tracks = new Map<string, Track>();
  private sampling = true;
  readonly first: number[] = [];
  readonly done: number[] = [];
  readonly phases: Phases = { toApplied: [], toQuoting: [], toCommitted: [], statements: [] };
  /** Group commit statements completed so far (the caller counts them). */
  statementsDone = 0;
  unchanged = 0;
  sampled = 0;

  constructor(symbols: readonly string[]) {
    for (const s of symbols) this.tracks.set(s, { waiting: [], applied: [], firstPending: [] });
  }

  delivered(symbol: string, at: number): void {
    if (!this.sampling) return;
    const t = this.tracks.get(symbol);
    if (!t) return;
    t.waiting.push({ at, statementsBefore: this.statementsDone, appliedAt: NaN, quotingAt: NaN, committedAt: NaN });
    this.sampled++;
  }

  applied(symbol: string, at: number): void {
    const t = this.tracks.get(symbol);
    if (!t || t.waiting.length === 0) return;
    for (const s of t.waiting) s.appliedAt = at;
    t.applied.push(...t.waiting);
    t.waiting = [];
  }

  /** A re-quote starts: it carries the samples whose price is in the desk. */
  quoting(symbol: string, at: number): Sample[] {
    const t = this.tracks.get(symbol);
    if (!t) return [];
    const batch = t.applied;
    for (const s of batch) s.quotingAt = at;
    t.applied = [];
    t.firstPending.push(...batch);
    return batch;
  }

  committed(symbol: string, at: number): void {
    const t = this.tracks.get(symbol);
    if (!t) return;
    for (const s of t.firstPending) {
      s.committedAt = at;
      this.first.push(at - s.at);
      this.phases.toApplied.push(s.appliedAt - s.at);
      this.phases.toQuoting.push(s.quotingAt - s.appliedAt);
      this.phases.toCommitted.push(at - s.quotingAt);
      this.phases.statements.push(this.statementsDone - s.statementsBefore);
    }
    t.firstPending = [];
  }

  quoted(symbol: string, batch: Sample[], at: number): void {
    const t = this.tracks.get(symbol);
    if (!t) return;
    // Re-quotes overlap (the next may start before this one's last change is heard): a sample is
    // done when its own re-quote committed something, whatever came since.
    if (batch.length > 0 && batch.every((s) => !Number.isNaN(s.committedAt))) {
      for (const s of batch) this.done.push(at - s.at);
    } else {
      this.unchanged += batch.length;
      t.firstPending = t.firstPending.filter((d) => !batch.includes(d));
    }
  }

  /** Forgets everything so far (a warm-up). */
  reset(): void {
    for (const t of this.tracks.values()) {
      t.waiting = [];
      t.applied = [];
      t.firstPending = [];
    }
    this.first.length = 0;
    this.done.length = 0;
    for (const list of Object.values(this.phases)) list.length = 0;
    this.unchanged = 0;
    this.sampled = 0;
  }

  stopSampling(): void {
    this.sampling = false;
  }

  /** Samples applied but not yet re-quoted. Waiting ones may never be: a print at the quoted price moves nothing. */
  inFlight(): number {
    let n = 0;
    for (const t of this.tracks.values()) n += t.applied.length + t.firstPending.length;
    return n;
  }

  result(): { sampled: number; first: number[]; done: number[]; phases: Phases; unchanged: number; neverApplied: number; unresolved: number } {
    let neverApplied = 0;
    for (const t of this.tracks.values()) neverApplied += t.waiting.length;
    return { sampled: this.sampled, first: this.first, done: this.done, phases: this.phases, unchanged: this.unchanged, neverApplied, unresolved: this.inFlight() };
  }
}
