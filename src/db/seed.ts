import type { PrismaClient } from './prisma-client.js';
import { STARTER_INSTRUMENTS } from './starter-instruments.js';

/** Adds the starter instruments a fresh database lacks; never changes existing ones. */
export async function seedInstruments(prisma: PrismaClient): Promise<number> {
  const result = await prisma.instrument.createMany({
    data: STARTER_INSTRUMENTS.map((i) => ({
      symbol: i.symbol,
      name: i.name,
      tickSize: '0.01',
      lotSize: 1,
      referencePrice: i.referencePrice,
    })),
    skipDuplicates: true,
  });
  return result.count;
}
