import type { LoadedMembers, Member, MemberStore } from '../../../src/oms/members.js';

/** One desk's members port held in memory; `failWrites` makes every write reject (a database gone away). */
export class MemoryMembers implements MemberStore {
  constructor(private readonly deskId = 1) {}

  readonly members = new Map<string, Member>();
  readonly grants = new Set<string>();
  readonly trading = new Set<string>();
  failWrites = false;
  /** Writes wait for this before they land, so a test can hold two changes in flight at once. */
  gate: Promise<void> = Promise.resolve();

  async load(deskId: number): Promise<LoadedMembers> {
    if (deskId !== this.deskId) return { members: [], channelGrants: [], tradingChannels: [] };
    return {
      members: [...this.members.values()],
      channelGrants: [...this.grants].map((g) => {
        const [channel, portfolio] = g.split('\u0000');
        return { channel, portfolio };
      }),
      tradingChannels: [...this.trading],
    };
  }

  private async write(apply: () => void): Promise<void> {
    await this.gate;
    if (this.failWrites) throw new Error('the database is unreachable');
    apply();
  }

  saveMember(_desk: number, m: Member) {
    return this.write(() => this.members.set(m.id, m));
  }
  deleteMember(_desk: number, id: string) {
    return this.write(() => this.members.delete(id));
  }
  grantChannel(_desk: number, channel: string, portfolio: string) {
    return this.write(() => this.grants.add(`${channel}\u0000${portfolio}`));
  }
  revokeChannel(_desk: number, channel: string, portfolio: string) {
    return this.write(() => this.grants.delete(`${channel}\u0000${portfolio}`));
  }
  allowChannel(_desk: number, channel: string) {
    return this.write(() => this.trading.add(channel));
  }
  denyChannel(_desk: number, channel: string) {
    return this.write(() => this.trading.delete(channel));
  }
}
