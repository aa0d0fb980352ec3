import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHART_HEIGHT, CHART_WIDTH } from '../../../src/slack/charts/equity-chart.js';
import { Desk } from '../support/desk.js';
import { waitFor } from '../support/slack-stand-in.js';

/**
 * `/leaderboard` and `/pnl` end to end: portfolios trade on a real OMS, the bot reads the ranking and
 * the equity curves over REST, posts the ranking in the channel, draws the curve as a PNG and shares
 * it through Slack's external upload flow at the stand-in; the daily digest posts at its time,
 * once, across a restart, driven by the digest's clock rather than by waiting.
 */
let desk: Desk;

const units = (text: string): bigint => {
  const [whole, frac = ''] = text.replace('-', '').split('.');
  const u = BigInt(whole) * 10_000n + BigInt(frac.padEnd(4, '0'));
  return text.startsWith('-') ? -u : u;
};
/** 12345600n -> "$1,234.56" with a sign for P&L, as the bot formats money. */
const dollars = (u: bigint, signed = false): string => {
  const abs = u < 0n ? -u : u;
  const frac = String(abs % 10_000n).padStart(4, '0').replace(/0{1,2}$/, '');
  const body = `$${(abs / 10_000n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
  return u < 0n ? `-${body}` : signed && u > 0n ? `+${body}` : body;
};
const pct = (pnl: bigint, start: bigint): string => {
  const n = pnl * 1_000_000n;
  const q = ((n < 0n ? -n : n) + start / 2n) / start;
  const abs = `${q / 10_000n}.${String(q % 10_000n).padStart(4, '0').replace(/0{1,2}$/, '')}`;
  return n < 0n ? `-${abs}%` : q > 0n ? `+${abs}%` : `${abs}%`;
};

async function equityOf(name: string): Promise<bigint> {
  const s = await desk.rest('GET', `/portfolio/${encodeURIComponent(name)}`);
  let equity = units(s.cash);
  for (const p of s.positions) equity += BigInt(p.quantity) * units(p.reference_price);
  return equity;
}

/** Sends a command and returns the reply: the ack's body when it answered at once, else the response_url post. */
async function replyTo(command: string, text: string, id: string, fields: { channel_id?: string } = {}): Promise<any> {
  const res = await desk.command(command, text, id, fields);
  expect(res.status).toBe(200);
  if (res.text !== '') return res.json();
  return (await desk.standIn.waitForResponse(id, 10_000)).body;
}

beforeAll(async () => {
  desk = await Desk.start();
  await desk.createPortfolio('Tech Portfolio', '1000000');
  await desk.createPortfolio('Growth', '500000');
  await desk.createPortfolio('Street', '100000000', true);
  await desk.setReferencePrice('NVDA', '120');
  await desk.placeDirect({ portfolio_name: 'Street', symbol: 'NVDA', side: 'SELL', quantity: 3000, limit_price: '120.00' });
  await desk.placeDirect({ portfolio_name: 'Tech Portfolio', symbol: 'NVDA', side: 'BUY', quantity: 1000, limit_price: '120.00' });
  await desk.placeDirect({ portfolio_name: 'Growth', symbol: 'NVDA', side: 'BUY', quantity: 2000, limit_price: '120.00' });
  // A snapshot before the move: the day's leaderboard and curves start from it.
  await desk.oms.service.equitySnapshots.take();
  await desk.setReferencePrice('NVDA', '126.35');
}, 60_000);

afterAll(async () => {
  await desk?.stop();
});

describe('/leaderboard', () => {
  it("posts the ranking in the channel, each portfolio's return from its cash and positions", async () => {
    const reply = await replyTo('/leaderboard', 'all', 'lb-all');
    expect(reply.response_type).toBe('in_channel');
    const table = reply.blocks.find((b: { type: string }) => b.type === 'table');
    const rows = (table.rows as { text: string }[][]).map((r) => r.map((c) => c.text));
    expect(rows[0]).toEqual(['#', 'Portfolio', 'Return', 'P&L', 'Equity']);
    const starting: Record<string, bigint> = { 'Tech Portfolio': units('1000000'), Growth: units('500000'), Street: units('100000000') };
    const expected = [];
    for (const [name, start] of Object.entries(starting)) {
      const equity = await equityOf(name);
      expected.push({ name, start, equity, pnl: equity - start });
    }
    expected.sort((a, b) => (a.pnl * b.start > b.pnl * a.start ? -1 : 1));
    expect(rows.slice(1)).toEqual(expected.map((e, i) => [String(i + 1), e.name, pct(e.pnl, e.start), dollars(e.pnl, true), dollars(e.equity)]));
    // 2000 NVDA up 6.35 on 500,000: Growth leads with +2.54%.
    expect(rows[1]).toEqual(['1', 'Growth', '+2.54%', '+$12,700.00', '$512,700.00']);
    expect(reply.text).toBe('Leaderboard since the start: 3 portfolios, led by Growth at +2.54% (+$12,700.00)');
  });

  it('today: from the snapshot taken before the move', async () => {
    const reply = await replyTo('/leaderboard', '', 'lb-day');
    const rows = (reply.blocks.find((b: { type: string }) => b.type === 'table').rows as { text: string }[][]).map((r) => r.map((c) => c.text));
    expect(rows.slice(1).map((r) => [r[1], r[3]])).toEqual([
      ['Growth', '+$12,700.00'],
      ['Tech Portfolio', '+$6,350.00'],
      ['Street', '-$19,050.00'],
    ]);
    expect(reply.blocks[0].text.text).toBe('Leaderboard today');
  });

  it('a period it does not know is an ephemeral usage, at once', async () => {
    const reply = await replyTo('/leaderboard', 'year', 'lb-bad');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(/^"year" is not a period: use day, week, month or all\./);
    expect(reply.text).toContain('/leaderboard week');
  });
});

describe('/pnl', () => {
  it('shares a PNG of the equity curve through the external upload flow, in the channel', async () => {
    const before = desk.standIn.callsTo('files.completeUploadExternal').length;
    const res = await desk.command('/pnl', 'Growth day', 'pnl-growth', { channel_id: 'C-pnl' });
    expect([res.status, res.text]).toEqual([200, '']);
    const complete = await desk.standIn.waitForCall('files.completeUploadExternal', (c) => c.body.channel_id === 'C-pnl', 15_000);
    expect(desk.standIn.callsTo('files.completeUploadExternal')).toHaveLength(before + 1);
    const [shared] = JSON.parse(complete.body.files) as { id: string; title: string }[];
    const file = desk.standIn.uploads.get(shared.id)!;
    expect(file.channel).toBe('C-pnl');
    const png = file.bytes!;
    // What getUploadURLExternal announced is what arrived.
    expect(png.length).toBe(file.length);
    expect(file.filename).toBe('equity-Growth-day.png');
    // PNG signature, then the IHDR chunk first: width and height as drawn.
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
    expect(shared.title).toBe('Growth today: $512,700.00, +$12,700.00 (+2.54%)');
    expect(complete.body.initial_comment).toBe('<@U1> Growth today: $512,700.00, +$12,700.00 (+2.54%)');
    expect(complete.token).toBe('xoxb-test-token');
    const upload = desk.standIn.callsTo('files.getUploadURLExternal').find((c) => c.response.file_id === shared.id)!;
    expect(upload.body.alt_text).toBe('Equity curve of Growth today: $512,700.00, +$12,700.00 (+2.54%)');
  });

  it("the channel's portfolio when none is named; a picture of a falling portfolio too", async () => {
    await replyTo('/portfolio', 'use Street', 'use-street', { channel_id: 'C-street' });
    await desk.command('/pnl', 'all', 'pnl-street', { channel_id: 'C-street' });
    const complete = await desk.standIn.waitForCall('files.completeUploadExternal', (c) => c.body.channel_id === 'C-street', 15_000);
    expect(JSON.parse(complete.body.files)[0].title).toBe('Street since the start: $99,980,950.00, -$19,050.00 (-0.0191%)');
  });

  it('an unknown portfolio, a missing one, or bad words: an ephemeral reply with the usage', async () => {
    const unknown = await replyTo('/pnl', 'Nobody week', 'pnl-nobody');
    expect(unknown.response_type).toBe('ephemeral');
    expect(unknown.text).toMatch(/^There is no portfolio by that name\./);
    expect(unknown.text).toContain('/pnl digest 08:30');
    const none = await replyTo('/pnl', '', 'pnl-none', { channel_id: 'C-none' });
    expect(none.text).toMatch(/^Which portfolio\?/);
    const badTime = await replyTo('/pnl', 'digest 25:00', 'pnl-bad-time');
    expect(badTime.response_type).toBe('ephemeral');
    expect(badTime.text).toMatch(/^When should the digest be posted\?/);
  });

  it('a channel the bot may not post in: the picture is not shared and the user hears why', async () => {
    desk.standIn.failNext('files.completeUploadExternal', 1, { error: 'not_in_channel' });
    const reply = await replyTo('/pnl', 'Growth', 'pnl-private', { channel_id: 'C-private' });
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(/^The picture could not be posted here \(not_in_channel\): invite the bot/);
  });
});

describe('the daily digest', () => {
  /** A time of day two hours from now (UTC), so the bot's own clock never reaches it during the test. */
  const later = new Date(Date.now() + 2 * 3600_000);
  const hhmm = `${String(later.getUTCHours()).padStart(2, '0')}:${String(later.getUTCMinutes()).padStart(2, '0')}`;
  const dueAt = new Date(Date.UTC(later.getUTCFullYear(), later.getUTCMonth(), later.getUTCDate(), later.getUTCHours(), later.getUTCMinutes()));
  const digestsIn = (channel: string) => desk.standIn.callsTo('chat.postMessage').filter((c) => c.body.channel === channel && String(c.body.text).startsWith('Daily digest'));

  it('subscribes with /pnl digest HH:MM and posts the leaderboard at that time, once a day, across a restart', async () => {
    const reply = await replyTo('/pnl', `digest ${hhmm}`, 'digest-on', { channel_id: 'C-digest' });
    expect(reply.response_type).toBe('in_channel');
    expect(reply.text).toBe(`<@U1> subscribed this channel to the daily digest: the leaderboard at ${hhmm} UTC every day. \`/pnl digest off\` stops it.`);
    expect(await desk.bot.bot.digest.check(new Date(dueAt.getTime() - 60_000))).toBe(0);
    expect(digestsIn('C-digest')).toHaveLength(0);
    expect(await desk.bot.bot.digest.check(dueAt)).toBe(1);
    const [post] = digestsIn('C-digest');
    expect(post.body.text).toMatch(/^Daily digest: leaderboard today: \d+ portfolios, led by Growth at \+2\.54% \(\+\$12,700\.00\)$/);
    expect(post.body.blocks.find((b: { type: string }) => b.type === 'table')).toBeDefined();
    // Later the same day, and after a restart of the bot: nothing more.
    expect(await desk.bot.bot.digest.check(new Date(dueAt.getTime() + 3600_000))).toBe(0);
    await desk.restartBot();
    expect(await desk.bot.bot.digest.check(new Date(dueAt.getTime() + 2 * 3600_000))).toBe(0);
    expect(digestsIn('C-digest')).toHaveLength(1);
    // The next day at its time: the next one.
    expect(await desk.bot.bot.digest.check(new Date(dueAt.getTime() + 86_400_000))).toBe(1);
    expect(digestsIn('C-digest')).toHaveLength(2);
  });

  it('a post Slack refuses is tried again at the next check, and posted once', async () => {
    await replyTo('/pnl', `digest ${hhmm}`, 'digest-retry', { channel_id: 'C-retry' });
    desk.standIn.failNext('chat.postMessage', 1, { error: 'channel_not_found' });
    expect(await desk.bot.bot.digest.check(dueAt)).toBe(0);
    expect(await desk.bot.bot.digest.check(new Date(dueAt.getTime() + 20_000))).toBe(1);
    expect(await desk.bot.bot.digest.check(new Date(dueAt.getTime() + 40_000))).toBe(0);
    expect(digestsIn('C-retry')).toHaveLength(1);
  });

  it('/pnl digest off stops it', async () => {
    await replyTo('/pnl', `digest ${hhmm}`, 'digest-on-2', { channel_id: 'C-off' });
    const off = await replyTo('/pnl', 'digest off', 'digest-off', { channel_id: 'C-off' });
    expect(off.text).toBe("<@U1> stopped this channel's daily digest.");
    await desk.bot.bot.digest.check(new Date(dueAt.getTime() + 2 * 86_400_000));
    expect(digestsIn('C-off')).toHaveLength(0);
    const again = await replyTo('/pnl', 'digest off', 'digest-off-again', { channel_id: 'C-off' });
    expect([again.response_type, again.text]).toEqual(['ephemeral', 'This channel has no daily digest.']);
  });
});

it('the stand-in refuses to share a file whose bytes never arrived (the flow is checked, not assumed)', async () => {
  const target = await desk.bot.bot.app.client.files.getUploadURLExternal({ filename: 'x.png', length: 3 });
  await expect(desk.bot.bot.app.client.files.completeUploadExternal({ files: [{ id: target.file_id! }], channel_id: 'C1' })).rejects.toThrow(/file_not_found/);
  await waitFor(() => desk.standIn.callsTo('files.completeUploadExternal', 'any').some((c) => c.response.error === 'file_not_found'));
});
