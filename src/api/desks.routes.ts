import { Router } from 'express';
import { actorOf, requireScope } from './auth.js';
import { deskOf } from './desk-of.js';
import { parse, parseQuery } from './validate.js';
import { createDeskBody, noQuery } from './schemas.js';
import { conflict } from '../oms/errors.js';
import { deskJson } from '../wire/serializers.js';
import type { ApiDeps } from './deps.js';

/** The deployment's desks, for its operators: list them, and make one with its first admin key. */
export function desksRoutes({ desks, createDesk, allDesks }: ApiDeps): Router {
  const r = Router();

  r.get('/desks', requireScope('operator'), async (req, res) => {
    parseQuery(noQuery, req);
    const list = allDesks ? await allDesks() : desks.all().map((d) => d.desk);
    res.json({ data: list.map((d) => deskJson(d)) });
  });

  r.post('/desks', requireScope('operator'), async (req, res) => {
    parseQuery(noQuery, req);
    const body = parse(createDeskBody, req.body);
    if (desks.byName(body.name)) throw conflict('DESK_EXISTS', `a desk named ${body.name} already exists`, 'name');
    const made = await createDesk(body.name, { actAs: body.act_as });
    if (!made) throw conflict('DESK_EXISTS', `a desk named ${body.name} already exists`, 'name');
    deskOf(res).audit(actorOf(res), 'desk.create', made.desk.name, 'ok', { id: made.desk.id, ...(body.act_as ? { act_as: true } : {}) });
    res.status(201).json({ desk: deskJson(made.desk), admin_key: made.adminKey });
  });

  return r;
}
