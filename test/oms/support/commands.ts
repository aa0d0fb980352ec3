import type { Actor, PlaceOrderInput } from '../../../src/oms/oms.js';
import { OmsError } from '../../../src/oms/errors.js';

/** Price units per 1.00. */
export const U = 10_000;
export const ADMIN: Actor = { keyId: 1, name: 'admin' };

/** A LIMIT BUY of 10 ACME in Alpha at 100.00 (GTC), with the fields a test cares about changed. */
export const orderInput = (fields: Partial<PlaceOrderInput>): PlaceOrderInput => ({
  symbol: 'ACME',
  side: 'BUY',
  type: 'LIMIT',
  quantity: 10,
  limitPrice: 100 * U,
  stopPrice: null,
  tif: 'GTC',
  portfolioName: 'Alpha',
  clientOrderId: null,
  userId: null,
  origin: null,
  ...fields,
});

/** The error code a command is refused with (fails the test if it is not refused). */
export const refusal = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (error) {
    if (error instanceof OmsError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
};
