import { Router } from 'express';
import { actorOf, requireScope, requireWholeDesk } from './auth.js';
import { deskOf } from './desk-of.js';
import { parse, parseQuery } from './validate.js';
import { deskFeesBody, noQuery } from './schemas.js';
import { feesJson } from '../wire/serializers.js';
import type { ApiDeps } from './deps.js';

/**
 * The desk's fee schedule: anyone of the desk may read what their fills will cost; its admins (with
 * a key limited to no portfolio) set it (stored, audited, charged from the next fill on).
 */
export function feesRoutes(_deps: ApiDeps): Router {
  const r = Router();

  r.get('/fees', requireScope('read'), (req, res) => {
    parseQuery(noQuery, req);
    res.json(feesJson(deskOf(res).fees));
  });

  // Every portfolio pays them: a key limited to some may not set them for the others.
  r.put('/fees', requireScope('admin'), requireWholeDesk("the desk's fees"), async (req, res) => {
    parseQuery(noQuery, req);
    const body = parse(deskFeesBody, req.body);
    const set = await deskOf(res).setFees({ perShare: body.per_share, bpsE4: body.bps, minPerOrder: body.min_per_order }, actorOf(res));
    res.json(feesJson(set));
  });

  return r;
}
