import { Router } from 'express';
import { requireScope } from './auth.js';
import { parseQuery } from './validate.js';
import { noQuery } from './schemas.js';
import type { ApiDeps } from './deps.js';

/** The OMS processes and which owns each desk, for operators (README "Beyond one machine"). */
export function clusterRoutes({ desks, cluster }: ApiDeps): Router {
  const r = Router();

  r.get('/cluster', requireScope('operator'), async (req, res) => {
    parseQuery(noQuery, req);
    if (cluster) {
      res.json(await cluster());
      return;
    }
    // One process serves every desk: no members, no leases.
    res.json({
      mode: 'single',
      member_id: null,
      members: [],
      desks: desks.all().map((d) => ({ id: d.desk.id, name: d.desk.name, owner: null, epoch: 0, lease_expires_at: null })),
    });
  });

  return r;
}
