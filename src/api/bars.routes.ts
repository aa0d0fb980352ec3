import { Router } from 'express';
import { requireScope } from './auth.js';
import { deskOf } from './desk-of.js';
import { parse, parseQuery } from './validate.js';
import { undecodableParams } from './path-params.js';
import { barsQuery, symbolParams } from './schemas.js';
import { rejected } from '../oms/errors.js';
import { storedBarJson } from '../wire/bar-json.js';
import type { BarRepository } from '../db/bars.repository.js';

/** An instrument's bars: one-minute rows, aggregated in the database for the larger intervals. */
export function barsRoutes(bars: Pick<BarRepository, 'read'>): Router {
  const r = Router();

  r.get('/bars/:symbol', requireScope('read'), async (req, res) => {
    const oms = deskOf(res);
    const { symbol } = parse(symbolParams, req.params);
    const q = parseQuery(barsQuery, req);
    if (!oms.instrument(symbol)) throw rejected('UNKNOWN_SYMBOL', `unknown symbol ${symbol}`, 'symbol');
    const data = await bars.read({ symbol, interval: q.interval, from: q.from, to: q.to, limit: q.limit });
    res.json({ symbol, interval: q.interval, data: data.map(storedBarJson) });
  });

  r.use(undecodableParams(r));
  return r;
}
