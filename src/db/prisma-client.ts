// The Prisma client (Rust-free, Prisma 7) over node-postgres through @prisma/adapter-pg.

import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export { PrismaClient };

export interface PrismaClientOptions {
  /** Pool size (node-postgres `max`). Default 10. */
  max?: number;
}

/**
 * A client on `databaseUrl`. A `?schema=` parameter (Prisma's convention; pg ignores it) selects the
 * schema the generated queries use, as the migrator does. Call `$disconnect()` to close the pool.
 */
export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  let connectionString = databaseUrl;
  let schema: string | undefined;
  try {
    const url = new URL(databaseUrl);
    schema = url.searchParams.get('schema') ?? undefined;
    if (schema !== undefined) {
      url.searchParams.delete('schema');
      connectionString = url.toString();
    }
  } catch {
    // Not a URL (e.g. a keyword/value string): hand it to pg as is.
  }
  const adapter = new PrismaPg({ connectionString, max: options.max ?? 10 }, schema ? { schema } : undefined);
  return new PrismaClient({ adapter });
}
