import type { PrismaClient } from './prisma-client.js';
import { ROLES, type LoadedMembers, type Member, type MemberStore, type Role } from '../oms/members.js';

/** A stored role this version does not know (written by a newer one) gives no more than reading. */
const roleOf = (text: string): Role => ROLES.find((r) => r === text) ?? 'viewer';

/** Desk members, channel grants and trading channels (desk_members, desk_channel_grants, desk_trading_channels). */
export class MemberRepository implements MemberStore {
  constructor(private readonly prisma: PrismaClient) {}

  async load(deskId: number): Promise<LoadedMembers> {
    const [members, grants, channels] = await Promise.all([
      this.prisma.deskMember.findMany({ where: { deskId } }),
      this.prisma.deskChannelGrant.findMany({ where: { deskId } }),
      this.prisma.deskTradingChannel.findMany({ where: { deskId } }),
    ]);
    return {
      members: members.map((m) => ({ id: m.member, role: roleOf(m.role), portfolios: m.portfolios, createdAt: m.createdAt, updatedAt: m.updatedAt })),
      channelGrants: grants.map((g) => ({ channel: g.channel, portfolio: g.portfolio })),
      tradingChannels: channels.map((c) => c.channel),
    };
  }

  async saveMember(deskId: number, m: Member): Promise<void> {
    const data = { role: m.role, portfolios: [...m.portfolios], updatedAt: m.updatedAt };
    await this.prisma.deskMember.upsert({
      where: { deskId_member: { deskId, member: m.id } },
      create: { deskId, member: m.id, createdAt: m.createdAt, ...data },
      update: data,
    });
  }

  async deleteMember(deskId: number, id: string): Promise<void> {
    await this.prisma.deskMember.deleteMany({ where: { deskId, member: id } });
  }

  async grantChannel(deskId: number, channel: string, portfolio: string): Promise<void> {
    await this.prisma.deskChannelGrant.upsert({
      where: { deskId_channel_portfolio: { deskId, channel, portfolio } },
      create: { deskId, channel, portfolio },
      update: {},
    });
  }

  async revokeChannel(deskId: number, channel: string, portfolio: string): Promise<void> {
    await this.prisma.deskChannelGrant.deleteMany({ where: { deskId, channel, portfolio } });
  }

  async allowChannel(deskId: number, channel: string): Promise<void> {
    await this.prisma.deskTradingChannel.upsert({ where: { deskId_channel: { deskId, channel } }, create: { deskId, channel }, update: {} });
  }

  async denyChannel(deskId: number, channel: string): Promise<void> {
    await this.prisma.deskTradingChannel.deleteMany({ where: { deskId, channel } });
  }
}
