/**
 * Work run every `everyMs` and whenever asked, never two runs at once: a call while one runs shares
 * it (so a burst of asks, or a tick that comes while the last is still running, costs one run).
 * `stop()` ends the ticks and waits for a run in progress. The timer never keeps the process alive.
 */
export class RecurringJob<T, A = void> {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<T> | null = null;

  constructor(
    private readonly work: (arg: A | undefined) => Promise<T>,
    private readonly everyMs: number,
  ) {}

  get running(): Promise<T> | null {
    return this.current;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.run().catch(() => undefined), this.everyMs);
    this.timer.unref();
  }

  run(arg?: A): Promise<T> {
    this.current ??= this.work(arg).finally(() => {
      this.current = null;
    });
    return this.current;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.current?.catch(() => undefined);
  }
}
