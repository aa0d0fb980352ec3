import { beforeEach, describe, expect, it } from '@jest/globals';
import { Oms, type Actor } from '../../src/oms/oms.js';
import { DeskMembers, MemberDirectory } from '../../src/oms/members.js';
import type { Access } from '../../src/oms/access.js';
import { MemoryStore } from './support/memory-store.js';
import { MemoryMembers } from './support/memory-members.js';
import { ADMIN, U, orderInput, refusal } from './support/commands.js';

/**
 * Members and roles at the level where they live: DeskMembers turns a member into an Access, and the
 * desk's use-cases (place, book, cancel) refuse by it themselves, whatever edge the command came from.
 */
const BOT: Access = { scopes: ['read', 'trade', 'act_as'], portfolios: [] };
let store: MemoryStore;
let desk: Oms;
let stored: MemoryMembers;
let members: DeskMembers;

const actorFor = async (id: string, channel: string | null): Promise<Actor> => ({ keyId: 2, name: `${id} via bot`, member: id, access: await members.accessFor(id, channel, BOT) });

beforeEach(async () => {
  store = new MemoryStore([{ symbol: 'ACME', name: 'Acme', tickSize: 100, lotSize: 1, referencePrice: 100 * U, lastPrice: null }]);
  desk = await Oms.open(store);
  await desk.createPortfolio({ name: 'Alpha', startingCash: 100_000n * BigInt(U), allowShort: false }, ADMIN);
  await desk.createPortfolio({ name: 'Beta', startingCash: 100_000n * BigInt(U), allowShort: true }, ADMIN);
  stored = new MemoryMembers();
  members = await DeskMembers.load(stored, 1);
  await members.setMember('slack:T:UA', 'admin');
  await members.setMember('slack:T:UT', 'trader', ['Alpha']);
  await members.setMember('slack:T:UV', 'viewer');
});

describe('the use-cases refuse by the member behind the command', () => {
  it("places in a granted portfolio, and refuses another with PORTFOLIO_NOT_GRANTED, recording nothing", async () => {
    const trader = await actorFor('slack:T:UT', 'C1');
    expect((await desk.placeOrder(orderInput({}), trader)).order.status).toBe('NEW');
    expect(await refusal(desk.placeOrder(orderInput({ portfolioName: 'Beta' }), trader))).toBe('PORTFOLIO_NOT_GRANTED');
    expect(await refusal(desk.bookTrade({ symbol: 'ACME', side: 'BUY', quantity: 1, gmv: 100n * BigInt(U), portfolioName: 'Beta', clientOrderId: null, userId: null }, trader))).toBe('PORTFOLIO_NOT_GRANTED');
    expect([...store.orders.values()].filter((o) => o.portfolioId === desk.portfolio('Beta')!.id)).toEqual([]);
    await desk.drain();
    expect(store.audits.filter((a) => a.outcome === 'rejected').map((a) => [a.actor, a.action])).toEqual([
      ['slack:T:UT via bot', 'order.place'],
      ['slack:T:UT via bot', 'trade.book'],
    ]);
  });

  it("cancels only in a portfolio the member may trade, though they may see the order", async () => {
    const beta = await desk.placeOrder(orderInput({ portfolioName: 'Beta' }), ADMIN);
    expect(await refusal(desk.cancelOrder(beta.order.id, await actorFor('slack:T:UT', 'C1')))).toBe('PORTFOLIO_NOT_GRANTED');
    await members.grant('CBETA', 'Beta');
    expect((await desk.cancelOrder(beta.order.id, await actorFor('slack:T:UT', 'CBETA'))).status).toBe('CANCELED');
  });

  it('cancels an order awaiting approval only in a portfolio the member may trade, as a resting one', async () => {
    await desk.setLimits('Beta', { approvalThreshold: 500n * BigInt(U) }, ADMIN);
    const pending = await desk.placeOrder(orderInput({ portfolioName: 'Beta', quantity: 60 }), ADMIN);
    expect(pending.order.status).toBe('PENDING_APPROVAL');
    expect(await refusal(desk.cancelOrder(pending.order.id, await actorFor('slack:T:UT', 'C1')))).toBe('PORTFOLIO_NOT_GRANTED');
    expect(desk.pendingOf(desk.portfolio('Beta')!.id).map((o) => o.id)).toEqual([pending.order.id]);
    await members.allow('CTRADE');
    expect(await refusal(desk.cancelOrder(pending.order.id, await actorFor('slack:T:UA', 'C1')))).toBe('CHANNEL_NOT_ALLOWED');
    expect((await desk.cancelOrder(pending.order.id, await actorFor('slack:T:UA', 'CTRADE'))).status).toBe('CANCELED');
  });

  it('an admin trades every portfolio, but only from a trading channel once the desk lists one', async () => {
    expect((await desk.placeOrder(orderInput({ portfolioName: 'Beta' }), await actorFor('slack:T:UA', 'C1'))).order.status).toBe('NEW');
    await members.allow('CTRADE');
    expect(await refusal(desk.placeOrder(orderInput({ portfolioName: 'Beta' }), await actorFor('slack:T:UA', 'C1')))).toBe('CHANNEL_NOT_ALLOWED');
    expect(await refusal(desk.placeOrder(orderInput({}), await actorFor('slack:T:UT', null)))).toBe('CHANNEL_NOT_ALLOWED');
    expect((await desk.placeOrder(orderInput({}), await actorFor('slack:T:UT', 'CTRADE'))).order.status).toBe('NEW');
  });
});

describe('DeskMembers', () => {
  it('gives each role its scopes, a stranger none, and the key its own while the desk has no members', async () => {
    const scopes = async (id: string) => (await members.accessFor(id, null, BOT)).scopes;
    await members.setMember('slack:T:UP', 'approver');
    expect(await scopes('slack:T:UV')).toEqual(['read']);
    expect(await scopes('slack:T:UT')).toEqual(['read', 'trade']);
    expect(await scopes('slack:T:UP')).toEqual(['read', 'trade', 'approve']);
    expect(await scopes('slack:T:UA')).toEqual(['read', 'trade', 'approve', 'admin']);
    expect(await scopes('slack:T:UX')).toEqual([]);
    const empty = await DeskMembers.load(new MemoryMembers(), 2);
    expect((await empty.accessFor('slack:T:UX', null, BOT)).scopes).toEqual(['read', 'trade']);
  });

  it('two admins demoting each other at once: one wins, the desk keeps an admin', async () => {
    await members.setMember('slack:T:UB', 'admin');
    let open!: () => void;
    stored.gate = new Promise<void>((resolve) => (open = resolve));
    const first = members.setMember('slack:T:UA', 'trader');
    const second = members.setMember('slack:T:UB', 'trader').catch((e: { code: string }) => e.code);
    open();
    await first;
    expect(await second).toBe('LAST_DESK_ADMIN');
    expect(members.admins()).toEqual(['slack:T:UB']);
    expect([...stored.members.values()].filter((m) => m.role === 'admin').map((m) => m.id)).toEqual(['slack:T:UB']);
  });

  it('a write that fails leaves the members as they were', async () => {
    stored.failWrites = true;
    await expect(members.setMember('slack:T:UV', 'admin')).rejects.toThrow('the database is unreachable');
    await expect(members.grant('C1', 'Beta')).rejects.toThrow('the database is unreachable');
    expect(members.get('slack:T:UV')!.role).toBe('viewer');
    expect(members.admins()).toEqual(['slack:T:UA']);
    expect(members.channels()).toEqual([]);
  });

  it('SLACK_ADMIN_USERS: the main desk has members from the start; a listed user becomes admin when they first act', async () => {
    const directory = new MemberDirectory(new MemoryMembers(), { deskId: 1, users: ['UBOSS'] });
    const main = await directory.of(1);
    expect(main.hasMembers).toBe(true);
    expect(main.admins()).toEqual(['slack:*:UBOSS']);
    expect((await main.accessFor('slack:T9:USOMEONE', null, BOT)).scopes).toEqual([]);
    expect((await main.accessFor('slack:T9:UBOSS', null, BOT)).member?.role).toBe('admin');
    expect(main.admins()).toEqual(['slack:T9:UBOSS']);
    // Another desk of the deployment is not concerned.
    expect((await directory.of(2)).hasMembers).toBe(false);
  });
});

describe('the directory of desks’ members', () => {
  it('reads a desk afresh once forgotten (the desk moved to another process and came back)', async () => {
    const directory = new MemberDirectory(stored);
    expect((await (await directory.of(1)).accessFor('slack:T:UV', null, BOT)).scopes).toEqual(['read']);
    // Another process, owning the desk meanwhile, made the viewer a trader.
    const elsewhere = await DeskMembers.load(stored, 1);
    await elsewhere.setMember('slack:T:UV', 'trader');
    expect((await (await directory.of(1)).accessFor('slack:T:UV', null, BOT)).scopes).toEqual(['read']);
    directory.forget(1);
    expect((await (await directory.of(1)).accessFor('slack:T:UV', null, BOT)).scopes).toEqual(['read', 'trade']);
  });
});
