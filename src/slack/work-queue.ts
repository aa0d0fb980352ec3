/**
 * Bounds the work listeners do after their ack (OMS calls, Slack posts). Acks share the event loop
 * with that work: under a burst of commands, unbounded follow-up work would queue ahead of the next
 * requests' acks. Queued work waits here instead, so an ack stays a few milliseconds away.
 */
export class WorkQueue {
  /** Slots taken; a finishing job hands its slot straight to the next waiting one. */
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly idlers: (() => void)[] = [];

  constructor(private readonly concurrency: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      // Ack first: let the requests already read in this turn of the event loop be answered before
      // this job's first step (an OMS call, a Slack post) takes the loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else if (--this.running === 0) for (const resolve of this.idlers.splice(0)) resolve();
    }
  }

  /** Resolves once nothing runs or waits (shutdown: let started work finish). */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idlers.push(resolve));
  }
}
