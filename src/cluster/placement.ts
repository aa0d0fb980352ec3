import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest random weight) hashing: each desk goes to the live member with the highest
 * weight for the pair. Every member computes the same answer from the same list, with no
 * coordination; a member joining takes only the desks it now wins, and a member leaving gives up
 * only its own, each to the runner-up.
 */
export function ownerOf(deskId: number, members: readonly string[]): string | null {
  let best: string | null = null;
  let bestWeight = -1n;
  for (const m of members) {
    const w = weight(m, deskId);
    if (w > bestWeight || (w === bestWeight && best !== null && m < best)) {
      best = m;
      bestWeight = w;
    }
  }
  return best;
}

/** The desks each member should own. */
export function placement(deskIds: readonly number[], members: readonly string[]): Map<number, string | null> {
  return new Map(deskIds.map((d) => [d, ownerOf(d, members)]));
}

function weight(member: string, deskId: number): bigint {
  return createHash('sha256').update(`${member}\u0000${deskId}`).digest().readBigUInt64BE(0);
}
