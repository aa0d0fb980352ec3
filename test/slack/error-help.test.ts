import { describe, expect, it } from '@jest/globals';
import { ERROR_HELP, explainError } from '../../src/slack/error-help.js';
import { OMS_ERROR_CODES } from '../../src/oms/error-catalogue.js';
import { HTTP_ERROR_CODES } from '../../src/api/http-errors.js';
import { statusOf } from '../../src/api/error-mapper.js';
import { OmsClientError } from '../../src/slack/oms-client.js';
import { classifySlackFailure } from '../../src/slack/slack-failure.js';

describe('OMS errors as Slack help', () => {
  it('explains business refusals and keeps the OMS detail', () => {
    const e = new OmsClientError('INSUFFICIENT_CASH', 'needs 17,525.00, has 100.00', 422, [{ path: 'quantity', message: 'too large' }]);
    expect(explainError(e)).toEqual({
      code: 'INSUFFICIENT_CASH',
      text: 'Not enough cash in the portfolio for this order. needs 17,525.00, has 100.00 quantity: too large',
    });
    expect(explainError(new OmsClientError('UNKNOWN_SYMBOL', 'unknown symbol ZZZZ', 422)).text).toBe(
      'That symbol is not traded on this desk. unknown symbol ZZZZ',
    );
  });

  it('explains a booking priced far from the market, once, without repeating the detail that says the same', () => {
    const message = 'gmv / quantity = 1000.00 is more than 20% from the reference price 175.00 of AAPL';
    const e = new OmsClientError('PRICE_OUTSIDE_BAND', message, 422, [{ path: 'gmv', message }]);
    expect(explainError(e).text).toBe(
      `A booked trade must be priced near the market: gmv divided by the quantity is too far from the reference price. ${message}`,
    );
  });

  it('says a validation problem once, though the OMS message and its detail both hold it', () => {
    const e = new OmsClientError('VALIDATION_ERROR', 'limit_price: limit_price is too large', 400, [{ path: 'limit_price', message: 'limit_price is too large' }]);
    expect(explainError(e).text).toBe('The trading desk rejected the request. limit_price: limit_price is too large');
  });

  it('says the desk is unreachable without leaking its URL internals or keys', () => {
    const e = new OmsClientError('OMS_UNREACHABLE', 'the OMS at http://127.0.0.1:1 is unreachable (ECONNREFUSED)');
    expect(explainError(e).text).toBe('The trading desk is unreachable right now, so nothing was done. Try again in a moment.');
  });

  it('falls back to the OMS message for codes it does not know', () => {
    expect(explainError(new OmsClientError('SOMETHING_NEW', 'a new rule said no', 422)).text).toBe('a new rule said no');
    expect(explainError(new OmsClientError('WIDGET_NOT_FOUND', 'no widget 7', 404)).text).toBe('Not found. no widget 7');
  });

  it('explains Slack refusals and unknown failures', () => {
    expect(explainError({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'expired_trigger_id' } }).text).toBe(
      'Slack refused the request (expired_trigger_id).',
    );
    expect(explainError(new TypeError('boom'))).toEqual({ code: 'INTERNAL', text: expect.stringMatching(/Something went wrong/) });
  });
});

describe('the help covers the OMS error catalogue', () => {
  // The bot may not import the OMS; this test may, and holds the bot's table to the OMS's.
  const apiCodes = [...OMS_ERROR_CODES, ...HTTP_ERROR_CODES];

  it('has help of its own for every code the OMS API answers with', () => {
    const generic = (code: string) => explainError(new OmsClientError(code, 'the desk says no', statusOf(code as never))).text;
    const withoutHelp = apiCodes.filter((code) => ['the desk says no', 'Not found. the desk says no'].includes(generic(code)));
    expect(withoutHelp).toEqual([]);
    expect(generic('HOUSE_PORTFOLIO')).toBe(
      "That is the market maker's portfolio: it takes no orders or bookings. Pick one of your own with `/portfolio use <name>`. the desk says no",
    );
  });

  it('has help only for codes the OMS API or the client can give', () => {
    const stale = Object.keys(ERROR_HELP).filter((code) => !(apiCodes as string[]).includes(code) && !code.startsWith('OMS_'));
    expect(stale).toEqual([]);
  });

  it('takes a code from the wire as data, never as a property name', () => {
    expect(explainError(new OmsClientError('constructor', 'odd', 422)).text).toBe('odd');
  });
});

describe('Slack failures', () => {
  it('classifies rate limits with their Retry-After, permanent and transient errors', () => {
    expect(classifySlackFailure({ code: 'slack_webapi_rate_limited_error', retryAfter: 3 })).toEqual({ kind: 'rate_limited', retryAfterMs: 3000 });
    expect(classifySlackFailure({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } })).toEqual({
      kind: 'permanent',
      code: 'channel_not_found',
    });
    expect(classifySlackFailure({ code: 'slack_webapi_platform_error', data: { error: 'internal_error' } })).toEqual({
      kind: 'transient',
      code: 'internal_error',
    });
    expect(classifySlackFailure({ code: 'slack_webapi_http_error', statusCode: 503 })).toEqual({ kind: 'transient', code: 'http_503' });
    expect(classifySlackFailure(new Error('socket hang up'))).toEqual({ kind: 'transient', code: 'request_failed' });
  });
});
