import type { Logger } from 'pino';

/** The latest end of day at HH:MM UTC that is not after `now` (today's, or else yesterday's). */
export function lastDayEnd(hhmm: string, now: Date): Date {
  const [h, m] = hhmm.split(':').map(Number);
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), h, m));
  if (end.getTime() > now.getTime()) end.setUTCDate(end.getUTCDate() - 1);
  return end;
}

/** Runs the end-of-day expiry once a day at HH:MM UTC. */
export class DayEndScheduler {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly hhmm: string,
    private readonly expire: () => Promise<number>,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  start(): void {
    this.timer = setTimeout(() => void this.run(), this.msUntilNext());
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  msUntilNext(): number {
    const now = this.now();
    const next = lastDayEnd(this.hhmm, now);
    next.setUTCDate(next.getUTCDate() + 1);
    return next.getTime() - now.getTime();
  }

  private async run(): Promise<void> {
    try {
      const n = await this.expire();
      this.logger.info({ expired: n }, 'end of day: DAY orders expired');
    } catch (error) {
      this.logger.error({ err: error }, 'end-of-day expiry failed');
    }
    if (this.timer) this.start();
  }
}
