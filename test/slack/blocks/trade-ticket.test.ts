import { describe, expect, it } from '@jest/globals';
import type { types } from '@slack/bolt';
import { buildTradeTicket, readTicketContext, TICKET, TRADE_TICKET_CALLBACK } from '../../../src/slack/blocks/trade-ticket.js';
import { readTradeTicket, type TicketValues } from '../../../src/slack/commands/trade-ticket-form.js';

const modal = buildTradeTicket({ team: 'T1', channel: 'C1' }, { portfolio: 'Tech Portfolio' });
const inputs = modal.blocks.filter((b): b is types.InputBlock => b.type === 'input');

/** Fills the modal the way Slack reports it, using the modal's own block and action ids. */
function submit(fields: Partial<Record<keyof typeof TICKET, string>>): TicketValues {
  const values: Record<string, Record<string, { value?: string | null; selected_option?: { value: string } | null }>> = {};
  for (const block of inputs) {
    const element = block.element as { type: string; action_id: string; initial_option?: { value: string }; initial_value?: string };
    const key = (Object.keys(TICKET) as (keyof typeof TICKET)[]).find((k) => TICKET[k].block === block.block_id)!;
    const given = fields[key];
    values[block.block_id!] = {
      [element.action_id]:
        element.type === 'static_select' || element.type === 'radio_buttons'
          ? { selected_option: given !== undefined ? { value: given } : (element.initial_option ?? null) }
          : { value: given ?? element.initial_value ?? null },
    };
  }
  return values;
}

describe('trade ticket modal', () => {
  it('is a modal with the callback id its submission handler listens to', () => {
    expect(modal.type).toBe('modal');
    expect(modal.callback_id).toBe(TRADE_TICKET_CALLBACK);
    expect(modal.submit).toEqual(expect.objectContaining({ text: 'Place order' }));
  });

  it('has one input per ticket field, with the shared block and action ids', () => {
    expect(inputs.map((b) => b.block_id)).toEqual(Object.values(TICKET).map((t) => t.block));
    for (const b of inputs) {
      const ids = Object.values(TICKET).find((t) => t.block === b.block_id)!;
      expect((b as { element: { action_id: string } }).element.action_id).toBe(ids.action);
    }
  });

  it('makes prices and portfolio optional and pre-fills the default portfolio', () => {
    const optional = inputs.filter((b) => b.optional).map((b) => b.block_id);
    expect(optional).toEqual([TICKET.limitPrice.block, TICKET.stopPrice.block, TICKET.portfolio.block]);
    const portfolio = modal.blocks.find((b) => b.block_id === TICKET.portfolio.block) as { element: { initial_value?: string } };
    expect(portfolio.element.initial_value).toBe('Tech Portfolio');
  });

  it('carries the channel it was opened from to the submission', () => {
    expect(readTicketContext(modal.private_metadata)).toEqual({ team: 'T1', channel: 'C1' });
    expect(readTicketContext('not json')).toBeUndefined();
    expect(readTicketContext(undefined)).toBeUndefined();
  });
});

describe('reading a submitted ticket', () => {
  it('turns a market order into the same intent as the grammar', () => {
    expect(readTradeTicket(submit({ symbol: 'aapl', quantity: '100' }))).toEqual({
      ok: true,
      order: { kind: 'order', side: 'BUY', quantity: 100, symbol: 'AAPL', type: 'MARKET', timeInForce: 'DAY', portfolio: 'Tech Portfolio' },
    });
  });

  it('reads a stop-limit sell with every field', () => {
    const read = readTradeTicket(
      submit({ side: 'SELL', symbol: 'TSLA', quantity: '10', type: 'STOP_LIMIT', limitPrice: '251', stopPrice: '250.5', timeInForce: 'GTC', portfolio: 'Growth' }),
    );
    expect(read).toEqual({
      ok: true,
      order: { kind: 'order', side: 'SELL', quantity: 10, symbol: 'TSLA', type: 'STOP_LIMIT', limitPrice: '251', stopPrice: '250.5', timeInForce: 'GTC', portfolio: 'Growth' },
    });
  });

  it('leaves the portfolio out when the field is empty (the channel default applies)', () => {
    const read = readTradeTicket(submit({ symbol: 'AAPL', quantity: '1', portfolio: '' }));
    expect(read.ok).toBe(true);
    expect(read.ok && 'portfolio' in read.order).toBe(false);
  });

  it('refuses a portfolio name no OMS input may hold, under its field', () => {
    for (const [portfolio, error] of [
      ['Tech\u0000', 'This text holds a control character (U+0000 at index 4).'],
      ['Te\u202Ech', 'This text holds a bidirectional override or isolate control (U+202E at index 2), which can make text display as other text.'],
      ['x'.repeat(101), 'This is 101 characters long; at most 100 are allowed.'],
    ]) {
      expect(readTradeTicket(submit({ symbol: 'AAPL', quantity: '1', portfolio }))).toEqual({ ok: false, errors: { [TICKET.portfolio.block]: error } });
    }
    expect(readTradeTicket(submit({ symbol: 'AAPL', quantity: '1', portfolio: 'Café Ünïcödé 日本 📈' }))).toMatchObject({ ok: true, order: { portfolio: 'Café Ünïcödé 日本 📈' } });
  });

  it('says what is wrong with the text of any typed-in field, not quoting it back, beside the other errors', () => {
    expect(readTradeTicket(submit({ symbol: 'AA\u202EPL', quantity: '1\u0000', type: 'LIMIT', limitPrice: '1\ud800', side: '' }))).toEqual({
      ok: false,
      errors: {
        [TICKET.side.block]: 'Choose buy or sell.',
        [TICKET.symbol.block]: 'This text holds a bidirectional override or isolate control (U+202E at index 2), which can make text display as other text.',
        [TICKET.quantity.block]: 'This text holds a control character (U+0000 at index 1).',
        [TICKET.limitPrice.block]: 'This text holds an unpaired UTF-16 surrogate (U+D800 at index 1): not valid Unicode text.',
      },
    });
  });

  it('reports each bad field under its own block id', () => {
    expect(readTradeTicket(submit({ symbol: '', quantity: '' }))).toEqual({
      ok: false,
      errors: { [TICKET.symbol.block]: 'Enter a symbol, like AAPL.', [TICKET.quantity.block]: 'Enter a quantity, like 100.' },
    });
    const bad = readTradeTicket(submit({ symbol: '1X', quantity: '0', type: 'LIMIT', limitPrice: 'cheap' }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(Object.keys(bad.errors).sort()).toEqual([TICKET.limitPrice.block, TICKET.quantity.block, TICKET.symbol.block].sort());
      expect(bad.errors[TICKET.limitPrice.block]).toMatch(/limit price must be a number/);
    }
  });

  it('asks for the prices an order type needs and refuses the ones it does not take', () => {
    const needs = readTradeTicket(submit({ symbol: 'AAPL', quantity: '1', type: 'STOP_LIMIT' }));
    expect(needs).toEqual({
      ok: false,
      errors: {
        [TICKET.limitPrice.block]: 'A limit or stop-limit order needs a limit price.',
        [TICKET.stopPrice.block]: 'A stop or stop-limit order needs a stop price.',
      },
    });
    const extra = readTradeTicket(submit({ symbol: 'AAPL', quantity: '1', type: 'MARKET', limitPrice: '10', stopPrice: '9' }));
    expect(extra.ok).toBe(false);
    if (!extra.ok) {
      expect(extra.errors[TICKET.limitPrice.block]).toMatch(/Only limit and stop-limit orders take a limit price/);
      expect(extra.errors[TICKET.stopPrice.block]).toMatch(/Only stop and stop-limit orders take a stop price/);
    }
  });
});
