import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { getChannelDefault, setChannelDefault } from '../../src/slack/store/channel-defaults.js';
import { advanceCursor, getCursor, initCursor } from '../../src/slack/store/cursors.js';
import { createSlackPool } from '../../src/slack/store/db.js';
import { markFillPosted, pendingFillNotices, recordFillNotices } from '../../src/slack/store/fill-notices.js';
import {
  findOrderMessage,
  forgetOrder,
  rememberOrderMessage,
  setConfirmationTs,
  slackOrderIdsAmong,
  unconfirmedOrders,
} from '../../src/slack/store/order-messages.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** The bot's tables as migrated by prisma/migrations, used through the bot's own pool. */
let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createSlackPool(db.url);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('channel defaults', () => {
  it('sets and replaces a channel\'s portfolio, per team and channel', async () => {
    expect(await getChannelDefault(pool, 'T1', 'C1')).toBeUndefined();
    await setChannelDefault(pool, 'T1', 'C1', 'Tech');
    await setChannelDefault(pool, 'T1', 'C1', 'Growth');
    await setChannelDefault(pool, 'T2', 'C1', 'Other team');
    expect(await getChannelDefault(pool, 'T1', 'C1')).toBe('Growth');
    expect(await getChannelDefault(pool, 'T2', 'C1')).toBe('Other team');
  });
});

describe('order messages and fill notices', () => {
  it('remembers an order once and finds it', async () => {
    expect(await rememberOrderMessage(pool, { orderId: '9000000000001', channelId: 'C1', messageTs: '1.000001' })).toBe(true);
    expect(await rememberOrderMessage(pool, { orderId: '9000000000001', channelId: 'C2', messageTs: null })).toBe(false);
    expect(await findOrderMessage(pool, '9000000000001')).toEqual({ orderId: '9000000000001', channelId: 'C1', messageTs: '1.000001' });
    expect(await slackOrderIdsAmong(pool, ['1', '9000000000001', '2'])).toEqual(new Set(['9000000000001']));
    expect(await slackOrderIdsAmong(pool, [])).toEqual(new Set());
  });

  it('lists orders waiting for a confirmation until their ts is set', async () => {
    await rememberOrderMessage(pool, { orderId: '20', channelId: 'C1', messageTs: null });
    expect((await unconfirmedOrders(pool, 10)).map((m) => m.orderId)).toEqual(['20']);
    await setConfirmationTs(pool, '20', '2.000001');
    expect(await unconfirmedOrders(pool, 10)).toEqual([]);
  });

  it('records a fill once, lists it as pending only under a posted confirmation, and marks it posted', async () => {
    await rememberOrderMessage(pool, { orderId: '30', channelId: 'C3', messageTs: null });
    await recordFillNotices(pool, [
      { tradeId: '501', orderId: '20' },
      { tradeId: '500', orderId: '20' },
      { tradeId: '502', orderId: '30' },
    ]);
    await recordFillNotices(pool, [{ tradeId: '500', orderId: '20' }]);
    expect(await pendingFillNotices(pool, 10)).toEqual([
      { tradeId: '500', orderId: '20', channelId: 'C1', messageTs: '2.000001' },
      { tradeId: '501', orderId: '20', channelId: 'C1', messageTs: '2.000001' },
    ]);
    await markFillPosted(pool, { tradeId: '500', orderId: '20' });
    expect((await pendingFillNotices(pool, 10)).map((n) => n.tradeId)).toEqual(['501']);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM slack_fill_notices');
    expect(rows[0].n).toBe(3);
  });

  it('forgets an order with its notices', async () => {
    await forgetOrder(pool, '30');
    expect(await findOrderMessage(pool, '30')).toBeUndefined();
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM slack_fill_notices WHERE order_id = 30");
    expect(rows[0].n).toBe(0);
  });
});

describe('cursors', () => {
  it('initialises once and only ever moves forward', async () => {
    expect(await getCursor(pool, 'fills')).toBeUndefined();
    expect(await initCursor(pool, 'fills', '100')).toBe('100');
    expect(await initCursor(pool, 'fills', '5')).toBe('100');
    await advanceCursor(pool, 'fills', '150');
    await advanceCursor(pool, 'fills', '120');
    expect(await getCursor(pool, 'fills')).toBe('150');
  });
});
