import type { PrismaClient } from './prisma-client.js';

/**
 * One OMS writes a database at a time: a second one started on it (a deploy that starts the new
 * instance before stopping the old, or two starts by hand) takes over, and the first is fenced off.
 * The claim bumps the `writer` row, which every batch statement locks and checks: it waits for a
 * batch the old writer has in flight, so the state loaded next includes that batch, and every later
 * batch of the old writer matches no writer row and writes nothing.
 *
 * Claimed once per process and shared by every desk's store: a desk reloading after a failed commit
 * must not fence off the process's other desks.
 */
export class WriterRole {
  private number: number | null = null;
  private claiming: Promise<number> | null = null;

  constructor(private readonly prisma: PrismaClient) {}

  /** Claims the role the first time; later calls answer the number claimed then. */
  ensureClaimed(): Promise<number> {
    this.claiming ??= this.claim();
    return this.claiming;
  }

  private async claim(): Promise<number> {
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO id_sequences (name, next) VALUES ('order', 1), ('trade', 1), ('writer', 0) ON CONFLICT (name) DO NOTHING`,
    );
    const rows = await this.prisma.$queryRawUnsafe<{ next: bigint }[]>(
      `UPDATE id_sequences SET next = next + 1 WHERE name = 'writer' RETURNING next`,
    );
    this.number = Number(rows[0].next);
    return this.number;
  }

  get current(): number {
    if (this.number === null) throw new Error('a write before the writer role was claimed');
    return this.number;
  }
}
