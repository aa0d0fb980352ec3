import type { Access, MemberAccess, Scope } from './access.js';
import { conflict, forbidden, notFound, type OmsError } from './errors.js';

/**
 * A desk's members (Slack users, `slack:TEAM:USER`) and their roles, the channels' portfolio grants
 * and the desk's trading channels. A key with `act_as` (the Slack bot's) names the member it acts
 * for; the request then has that member's role and grants instead of the key's own (accessFor).
 */
export type Role = NonNullable<MemberAccess['role']>;
export const ROLES: readonly Role[] = ['viewer', 'trader', 'approver', 'admin'];

const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  viewer: ['read'],
  trader: ['read', 'trade'],
  approver: ['read', 'trade', 'approve'],
  admin: ['read', 'trade', 'approve', 'admin'],
};

/** The least role that gives a scope; null for the scopes no member has (operator, act_as). */
export function roleFor(scope: Scope): Role | null {
  return ROLES.find((r) => ROLE_SCOPES[r].includes(scope)) ?? null;
}

/**
 * Slack's ids are upper-case letters and digits (a team `T…`, a user `U…`, a channel `C…`); the forms
 * are a little wider (letters of either case, digits, `_ . -`), never `:` nor spaces.
 */
export const MEMBER_ID = /^slack:[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9_.-]{1,32}$/;
export const CHANNEL_ID = /^[A-Za-z0-9_.-]{1,32}$/;

export interface Member {
  readonly id: string;
  readonly role: Role;
  /** The member's own trading grants (besides the channels'). */
  readonly portfolios: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ChannelGrants {
  readonly channel: string;
  readonly portfolios: readonly string[];
  /** Listed among the desk's trading channels. */
  readonly trading: boolean;
}

export interface LoadedMembers {
  readonly members: Member[];
  readonly channelGrants: { channel: string; portfolio: string }[];
  readonly tradingChannels: string[];
}

/** Where members and grants are kept (db/member.repository.ts); each write is durable when it resolves. */
export interface MemberStore {
  load(deskId: number): Promise<LoadedMembers>;
  saveMember(deskId: number, member: Member): Promise<void>;
  deleteMember(deskId: number, id: string): Promise<void>;
  grantChannel(deskId: number, channel: string, portfolio: string): Promise<void>;
  revokeChannel(deskId: number, channel: string, portfolio: string): Promise<void>;
  allowChannel(deskId: number, channel: string): Promise<void>;
  denyChannel(deskId: number, channel: string): Promise<void>;
}

const sorted = (values: Iterable<string>): string[] => [...values].sort();
const USER_OF = /^slack:[^:]+:([^:]+)$/;

/**
 * One desk's members, held in memory (every request acting for a member reads them) and written
 * through to the store. A change is made in memory first, synchronously, so that two admins at once
 * cannot both pass a check (the last admin); a failed write puts it back.
 */
export class DeskMembers {
  private readonly members = new Map<string, Member>();
  private readonly grants = new Map<string, Set<string>>();
  private readonly trading = new Set<string>();
  private adminList: string[] = [];

  private constructor(
    private readonly store: MemberStore,
    readonly deskId: number,
    /** Slack user ids made admins the first time they act (SLACK_ADMIN_USERS, desk main only). */
    private readonly presetAdmins: readonly string[],
  ) {}

  static async load(store: MemberStore, deskId: number, presetAdmins: readonly string[] = []): Promise<DeskMembers> {
    const desk = new DeskMembers(store, deskId, presetAdmins);
    const loaded = await store.load(deskId);
    for (const m of loaded.members) desk.members.set(m.id, m);
    for (const g of loaded.channelGrants) desk.grantSet(g.channel).add(g.portfolio);
    for (const c of loaded.tradingChannels) desk.trading.add(c);
    desk.indexAdmins();
    return desk;
  }

  /** A desk without members acts as before roles existed; preset admins count as members. */
  get hasMembers(): boolean {
    return this.members.size > 0 || this.presetAdmins.length > 0;
  }

  /** The admins' ids; a preset admin who has not acted yet as `slack:*:USER`. */
  admins(): readonly string[] {
    return this.adminList;
  }

  list(): Member[] {
    return sorted(this.members.keys()).map((id) => this.members.get(id)!);
  }

  get(id: string): Member | undefined {
    return this.members.get(id);
  }

  channels(): ChannelGrants[] {
    return sorted(new Set([...this.grants.keys(), ...this.trading])).map((c) => this.channel(c));
  }

  channel(channel: string): ChannelGrants {
    return { channel, portfolios: sorted(this.grants.get(channel) ?? []), trading: this.trading.has(channel) };
  }

  get tradingChannels(): readonly string[] {
    return sorted(this.trading);
  }

  /**
   * What a request acting for `id` may do. Until the desk has a member, the key's own scopes apply,
   * as before roles existed, less the deployment's (act_as, operator: no member holds them); then a
   * member's role, and no role at all for a stranger.
   */
  async accessFor(id: string, channel: string | null, key: Access): Promise<Access> {
    await this.adoptPresetAdmin(id);
    const member = this.members.get(id);
    const base = { id, channel, tradingChannels: this.tradingChannels, admins: this.adminList, deskHasMembers: this.hasMembers };
    if (!this.hasMembers) {
      return { scopes: key.scopes.filter((s) => s !== 'act_as' && s !== 'operator'), portfolios: key.portfolios, member: { ...base, role: null, tradePortfolios: null } };
    }
    if (!member) return { scopes: [], portfolios: key.portfolios, member: { ...base, role: null, tradePortfolios: [] } };
    const tradePortfolios =
      member.role === 'admin' ? null : sorted(new Set([...member.portfolios, ...(channel === null ? [] : (this.grants.get(channel) ?? []))]));
    return { scopes: ROLE_SCOPES[member.role], portfolios: key.portfolios, member: { ...base, role: member.role, tradePortfolios } };
  }

  /** Sets a member's role (and, when given, their own grants). The last admin keeps the role. */
  async setMember(id: string, role: Role, portfolios?: readonly string[]): Promise<Member> {
    const before = this.members.get(id);
    if (before?.role === 'admin' && role !== 'admin') this.assertNotLastAdmin(id);
    const now = new Date();
    const member: Member = { id, role, portfolios: sorted(new Set(portfolios ?? before?.portfolios ?? [])), createdAt: before?.createdAt ?? now, updatedAt: now };
    await this.change(
      () => this.members.set(id, member),
      () => (before ? this.members.set(id, before) : this.members.delete(id)),
      () => this.store.saveMember(this.deskId, member),
    );
    return member;
  }

  /** The first member of a desk without any: only the one who acts may name themselves, and only as admin. */
  claimable(id: string, actingFor: string | undefined, role: Role): boolean {
    return !this.hasMembers && actingFor === id && role === 'admin';
  }

  async removeMember(id: string): Promise<Member> {
    const before = this.members.get(id);
    if (!before) throw notFound('MEMBER_NOT_FOUND', `${id} is not a member of this desk`);
    if (before.role === 'admin') this.assertNotLastAdmin(id);
    await this.change(
      () => this.members.delete(id),
      () => this.members.set(id, before),
      () => this.store.deleteMember(this.deskId, id),
    );
    return before;
  }

  async grant(channel: string, portfolio: string): Promise<ChannelGrants> {
    const set = this.grantSet(channel);
    if (!set.has(portfolio)) {
      await this.change(
        () => set.add(portfolio),
        () => {
          set.delete(portfolio);
          if (set.size === 0) this.grants.delete(channel);
        },
        () => this.store.grantChannel(this.deskId, channel, portfolio),
      );
    }
    return this.channel(channel);
  }

  async revoke(channel: string, portfolio: string): Promise<ChannelGrants> {
    const set = this.grants.get(channel);
    if (set?.has(portfolio)) {
      await this.change(
        () => set.delete(portfolio),
        () => set.add(portfolio),
        () => this.store.revokeChannel(this.deskId, channel, portfolio),
      );
    }
    if (set?.size === 0) this.grants.delete(channel);
    return this.channel(channel);
  }

  async allow(channel: string): Promise<ChannelGrants> {
    if (!this.trading.has(channel)) {
      await this.change(
        () => this.trading.add(channel),
        () => this.trading.delete(channel),
        () => this.store.allowChannel(this.deskId, channel),
      );
    }
    return this.channel(channel);
  }

  async deny(channel: string): Promise<ChannelGrants> {
    if (this.trading.has(channel)) {
      await this.change(
        () => this.trading.delete(channel),
        () => this.trading.add(channel),
        () => this.store.denyChannel(this.deskId, channel),
      );
    }
    return this.channel(channel);
  }

  private grantSet(channel: string): Set<string> {
    let set = this.grants.get(channel);
    if (!set) this.grants.set(channel, (set = new Set()));
    return set;
  }

  private async change(apply: () => void, undo: () => void, write: () => Promise<void>): Promise<void> {
    apply();
    this.indexAdmins();
    try {
      await write();
    } catch (error) {
      undo();
      this.indexAdmins();
      throw error;
    }
  }

  private assertNotLastAdmin(id: string): void {
    const others = [...this.members.values()].filter((m) => m.role === 'admin' && m.id !== id);
    if (others.length === 0) {
      throw conflict('LAST_DESK_ADMIN', `${id} is the desk's last admin: make another member admin first`, 'role');
    }
  }

  /** A preset admin (SLACK_ADMIN_USERS) becomes a member the first time they act, whatever their team. */
  private async adoptPresetAdmin(id: string): Promise<void> {
    if (this.presetAdmins.length === 0 || this.members.has(id)) return;
    const user = USER_OF.exec(id)?.[1];
    if (user && this.presetAdmins.includes(user)) await this.setMember(id, 'admin');
  }

  private indexAdmins(): void {
    const admins = [...this.members.values()].filter((m) => m.role === 'admin').map((m) => m.id);
    const known = new Set(admins.map((a) => USER_OF.exec(a)?.[1]));
    this.adminList = sorted([...admins, ...this.presetAdmins.filter((u) => !known.has(u)).map((u) => `slack:*:${u}`)]);
  }
}

/** Every desk's members, loaded on first use. */
export class MemberDirectory {
  private readonly desks = new Map<number, Promise<DeskMembers>>();

  constructor(
    private readonly store: MemberStore,
    /** SLACK_ADMIN_USERS: Slack user ids made admins of the main desk. */
    private readonly presetAdmins: { readonly deskId: number; readonly users: readonly string[] } | null = null,
  ) {}

  of(deskId: number): Promise<DeskMembers> {
    let desk = this.desks.get(deskId);
    if (!desk) {
      const preset = this.presetAdmins?.deskId === deskId ? this.presetAdmins.users : [];
      desk = DeskMembers.load(this.store, deskId, preset);
      // A failed load is tried again by the next request instead of being remembered.
      desk.catch(() => this.desks.delete(deskId));
      this.desks.set(deskId, desk);
    }
    return desk;
  }

  /** A desk this process no longer serves (it moved to another in a cluster): read afresh if it comes back. */
  forget(deskId: number): void {
    this.desks.delete(deskId);
  }
}

const who = (admins: readonly string[]): string =>
  admins.length === 0 ? 'an admin of the desk' : `a desk admin (${admins.slice(0, 5).join(', ')}${admins.length > 5 ? ', …' : ''})`;

/** What a scope is for, in a refusal. */
const DOING: Partial<Record<Scope, string>> = { read: 'reading the desk', trade: 'trading', approve: 'approving orders, halting or limiting trading', admin: 'managing the desk' };

/** Why a member may not use a scope (ROLE_REQUIRED, NOT_A_MEMBER); null when they may, or for a plain key. */
export function scopeRefusal(access: Access, scope: Scope, has: boolean): OmsError | null {
  const m = access.member;
  if (!m || has) return null;
  if (m.deskHasMembers && m.role === null) {
    return forbidden('NOT_A_MEMBER', `${m.id} is not a member of this desk: ${who(m.admins)} can add them with a role`);
  }
  const role = roleFor(scope);
  if (role === null) return null;
  if (!m.deskHasMembers) {
    return forbidden('ROLE_REQUIRED', `${DOING[scope] ?? scope} needs the ${role} role, and this desk has no members yet: the first to claim it (/desk in Slack) becomes its admin`);
  }
  return forbidden('ROLE_REQUIRED', `${DOING[scope] ?? scope} needs the ${role} role (${m.id} is ${m.role ?? 'no member'}): ${who(m.admins)} can grant it`);
}

/** Why a member may not trade `portfolio` from the request's channel (CHANNEL_NOT_ALLOWED, PORTFOLIO_NOT_GRANTED), or null. */
export function tradeRefusal(access: Access, portfolio: string, field?: string): OmsError | null {
  const m = access.member;
  if (!m) return null;
  if (m.tradingChannels.length > 0 && (m.channel === null || !m.tradingChannels.includes(m.channel))) {
    const from = m.channel === null ? 'this request names no channel' : `channel ${m.channel} is not one of them`;
    return forbidden('CHANNEL_NOT_ALLOWED', `this desk trades only in its trading channels (${m.tradingChannels.join(', ')}) and ${from}: ${who(m.admins)} can allow a channel`);
  }
  if (m.tradePortfolios !== null && !m.tradePortfolios.includes(portfolio)) {
    const where = m.channel === null ? '' : ` nor channel ${m.channel}`;
    return forbidden('PORTFOLIO_NOT_GRANTED', `neither ${m.id}${where} has a grant to trade portfolio ${portfolio}: ${who(m.admins)} can grant it`, field);
  }
  return null;
}
