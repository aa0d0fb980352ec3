import type { Response } from 'express';
import type { Oms } from '../oms/oms.js';

/** The desk of the request's key (set by the key check): every command acts within it. */
export function deskOf(res: Response): Oms {
  return res.locals.desk as Oms;
}
