import { caseHint } from '../oms/name-hint.js';
import { Router } from 'express';
import { actorOf, keyOf, keyWithin, requireScope } from './auth.js';
import { HttpError } from './http-errors.js';
import { deskOf } from './desk-of.js';
import { parse, parseQuery } from './validate.js';
import { undecodableParams } from './path-params.js';
import { createKeyBody, idParams, noQuery } from './schemas.js';
import { conflict, notFound, rejected } from '../oms/errors.js';
import { keyJson } from '../wire/serializers.js';
import type { ApiDeps } from './deps.js';

/**
 * API keys for admins, while the service runs: create (the key is in the answer, once), list (never
 * a key), revoke (at once on this API; open feed connections lose their private channels within
 * API_KEY_CACHE_MS).
 */
export function keysRoutes({ keys: keyCache, keyAdmin }: ApiDeps): Router {
  const r = Router();

  r.get('/keys', requireScope('admin'), async (req, res) => {
    const oms = deskOf(res);
    parseQuery(noQuery, req);
    // A key limited to some portfolios sees the keys limited within them, not those that reach further.
    const own = keyOf(res).portfolios;
    res.json({ data: (await keyAdmin.list(oms.desk.id)).filter((k) => keyWithin(own, k)).map(keyJson) });
  });

  r.post('/keys', requireScope('admin'), async (req, res) => {
    const oms = deskOf(res);
    parseQuery(noQuery, req);
    const body = parse(createKeyBody, req.body);
    body.portfolios.forEach((name, i) => {
      if (!oms.portfolio(name)) {
        throw rejected('UNKNOWN_PORTFOLIO', `there is no portfolio ${name}${caseHint(name, oms.portfolioNames())}`, `portfolios.${i}`);
      }
    });
    // A key limited to some portfolios would otherwise mint one reaching every portfolio.
    const own = keyOf(res).portfolios;
    if (!keyWithin(own, body)) {
      throw new HttpError('FORBIDDEN', 'this API key is limited to some portfolios: a key it creates must be limited to them too', [{ path: 'portfolios', message: `allowed: ${own.join(', ')}` }]);
    }
    // Operator is the deployment's scope: only an operator hands it on.
    if (body.scopes.includes('operator') && !keyOf(res).scopes.includes('operator')) {
      throw new HttpError('FORBIDDEN', 'only an operator key may create a key with the operator scope', [{ path: 'scopes', message: 'operator is not yours to give' }]);
    }
    // act_as lets a key take any member's role: the deployment's to give (the Slack bot's key), not a desk admin's.
    if (body.scopes.includes('act_as') && !keyOf(res).scopes.includes('operator')) {
      throw new HttpError('FORBIDDEN', 'only an operator key may create a key with the act_as scope', [{ path: 'scopes', message: 'act_as is not yours to give' }]);
    }
    const { key, record } = await keyAdmin.create({ name: body.name, scopes: body.scopes, portfolios: body.portfolios, deskId: oms.desk.id });
    oms.audit(actorOf(res), 'key.create', String(record.id), 'ok', { name: record.name, scopes: record.scopes, portfolios: record.portfolios });
    res.status(201).json({ ...keyJson(record), key });
  });

  r.delete('/keys/:id', requireScope('admin'), async (req, res) => {
    const oms = deskOf(res);
    const id = Number(parse(idParams, req.params).id);
    parseQuery(noQuery, req);
    const keys = await keyAdmin.list(oms.desk.id);
    // One it may not see answers as one that does not exist.
    const target = keys.find((k) => k.id === id && keyWithin(keyOf(res).portfolios, k));
    if (!target) throw notFound('KEY_NOT_FOUND', `no API key ${id}`);
    if (target.revokedAt !== null) throw conflict('KEY_REVOKED', `API key ${id} is already revoked`);
    const admins = keys.filter((k) => k.revokedAt === null && k.scopes.includes('admin'));
    if (target.scopes.includes('admin') && admins.length === 1) {
      throw conflict('LAST_ADMIN_KEY', 'this is the last active admin key: create another admin key before revoking it');
    }
    // Two admins revoking the same key at once: the second finds it revoked.
    if (!(await keyAdmin.revoke(id, oms.desk.id))) throw conflict('KEY_REVOKED', `API key ${id} is already revoked`);
    keyCache.forget(id);
    oms.audit(actorOf(res), 'key.revoke', String(id), 'ok', { name: target.name });
    res.json(keyJson((await keyAdmin.list(oms.desk.id)).find((k) => k.id === id)!));
  });

  r.use(undecodableParams(r));
  return r;
}
