import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from './prisma-client.js';

import { SCOPES, type MemberAccess, type Scope } from '../oms/access.js';
import { MAIN_DESK_ID } from './desks.js';

export { SCOPES, type Scope };

export interface ApiKeyRecord {
  readonly id: number;
  readonly deskId: number;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: Scope[];
  /** Empty: every portfolio. */
  readonly portfolios: string[];
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  /** Set on a request of a key with `act_as` acting for a desk member: scopes are then the member's. */
  readonly member?: MemberAccess;
}

/** Keys are 32 random bytes; only their SHA-256 is stored, so a database leak reveals no key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateKey(): string {
  return `pk_${randomBytes(32).toString('base64url')}`;
}

export class ApiKeyRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: { name: string; scopes: Scope[]; portfolios: string[]; key?: string; deskId?: number }): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = input.key ?? generateKey();
    const row = await this.prisma.apiKey.create({
      data: { deskId: input.deskId ?? MAIN_DESK_ID, name: input.name, prefix: key.slice(0, 10), hash: hashKey(key), scopes: input.scopes, portfolios: input.portfolios },
    });
    return { key, record: toRecord(row) };
  }

  /** Stores a key given from outside (the bootstrap admin key) once; later starts find it. */
  async ensure(key: string, name: string, scopes: Scope[]): Promise<boolean> {
    const hash = hashKey(key);
    const existing = await this.prisma.apiKey.findUnique({ where: { hash } });
    if (existing) {
      // A key kept across an upgrade gains the scopes it is now given (the bootstrap key: operator).
      const missing = scopes.filter((s) => !existing.scopes.includes(s));
      if (missing.length > 0) await this.prisma.apiKey.update({ where: { hash }, data: { scopes: [...existing.scopes, ...missing] } });
      return false;
    }
    try {
      await this.create({ name, scopes, portfolios: [], key });
    } catch (error) {
      // Several OMS processes of a cluster starting at once on a fresh database: one made it.
      if ((error as { code?: unknown }).code === 'P2002' && (await this.prisma.apiKey.findUnique({ where: { hash } }))) return this.ensure(key, name, scopes);
      throw error;
    }
    return true;
  }

  async findActiveByKey(key: string): Promise<ApiKeyRecord | null> {
    const row = await this.prisma.apiKey.findUnique({ where: { hash: hashKey(key) } });
    return row && row.revokedAt === null ? toRecord(row) : null;
  }

  /** The keys of one desk, or of every desk. */
  async list(deskId?: number): Promise<ApiKeyRecord[]> {
    return (await this.prisma.apiKey.findMany({ where: deskId === undefined ? {} : { deskId }, orderBy: { id: 'asc' } })).map(toRecord);
  }

  async revoke(id: number, deskId?: number): Promise<boolean> {
    const r = await this.prisma.apiKey.updateMany({ where: { id, revokedAt: null, ...(deskId === undefined ? {} : { deskId }) }, data: { revokedAt: new Date() } });
    return r.count > 0;
  }

  async count(): Promise<number> {
    return this.prisma.apiKey.count({ where: { revokedAt: null } });
  }
}

function toRecord(row: {
  id: number;
  deskId: number;
  name: string;
  prefix: string;
  scopes: string[];
  portfolios: string[];
  createdAt: Date;
  revokedAt: Date | null;
}): ApiKeyRecord {
  return {
    id: row.id,
    deskId: row.deskId,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes.filter((s): s is Scope => (SCOPES as string[]).includes(s)),
    portfolios: row.portfolios,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
  };
}
