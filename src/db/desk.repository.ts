import type { PrismaClient } from './prisma-client.js';
import type { DeskInfo } from '../oms/desks.js';

/** The desks table: one row per team of the deployment. */
export class DeskRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async list(): Promise<DeskInfo[]> {
    const rows = await this.prisma.desk.findMany({ orderBy: { id: 'asc' } });
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.createdAt }));
  }

  /** Null when the name is taken. */
  async create(name: string): Promise<DeskInfo | null> {
    const rows = await this.prisma.$queryRawUnsafe<{ id: number; name: string; created_at: Date }[]>(
      `INSERT INTO desks (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at`,
      name,
    );
    return rows.length ? { id: rows[0].id, name: rows[0].name, createdAt: rows[0].created_at } : null;
  }
}
