import { caseHint } from '../oms/name-hint.js';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from './http-errors.js';
import type { ApiKeyRecord } from '../db/api-key.repository.js';
import type { Actor } from '../oms/oms.js';
import { canUsePortfolio, hasScope, type KeyLookup as KeyLookupOf, type Scope } from '../oms/access.js';
import { scopeRefusal, tradeRefusal } from '../oms/members.js';

export { canUsePortfolio, hasScope };
export type KeyLookup = KeyLookupOf<ApiKeyRecord>;

/** A lookup that keeps answers for a while, and can drop a revoked key's at once. */
export interface KeyCache extends KeyLookup {
  forget(id: number): void;
}

/** Key management for admins (the keys routes). Only a key's hash is stored; `create` shows the key once. */
export interface KeyAdmin {
  create(input: { name: string; scopes: Scope[]; portfolios: string[]; deskId: number }): Promise<{ key: string; record: ApiKeyRecord }>;
  /** The keys of one desk. */
  list(deskId: number): Promise<ApiKeyRecord[]>;
  revoke(id: number, deskId: number): Promise<boolean>;
}

/** Resolves keys through a short cache, so a revoked key stops working within `ttlMs`. */
export class CachedKeyLookup implements KeyCache {
  private readonly cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();

  constructor(
    private readonly source: KeyLookup,
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async findActiveByKey(key: string): Promise<ApiKeyRecord | null> {
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) return hit.record;
    const record = await this.source.findActiveByKey(key);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { record, until: this.now() + this.ttlMs });
    return record;
  }

  /** Forgets a revoked key at once, so that it stops working here without waiting for the TTL. */
  forget(id: number): void {
    for (const [key, hit] of this.cache) if (hit.record?.id === id) this.cache.delete(key);
  }
}

export type AuthFailureAudit = (reason: string, req: Request) => void;

/** X-API-Key check: 401 without a valid key. The key itself is never logged or echoed. */
export function requireApiKey(keys: KeyLookup, onFailure: AuthFailureAudit): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get('x-api-key');
    if (!key) {
      onFailure('missing key', req);
      next(new HttpError('UNAUTHENTICATED', 'send an API key in the X-API-Key header'));
      return;
    }
    try {
      const record = await keys.findActiveByKey(key);
      if (!record) {
        onFailure('invalid key', req);
        next(new HttpError('UNAUTHENTICATED', 'the API key is not valid'));
        return;
      }
      res.locals.apiKey = record;
      next();
    } catch (error) {
      next(error);
    }
  };
}

export function keyOf(res: Response): ApiKeyRecord {
  return res.locals.apiKey as ApiKeyRecord;
}

/** The key behind a request as the OMS sees it: who, what it may do, and where the request came from. */
export function actorOf(res: Response): Actor {
  const key = keyOf(res);
  const req = res.req;
  const member = key.member?.id;
  return {
    keyId: key.id,
    // The audit names the member first: the key only carried their command.
    name: member ? `${member} via ${key.name}` : key.name,
    access: key,
    ...(member ? { member } : {}),
    request: { target: `${req.method} ${req.baseUrl}${req.path}`, ip: req.ip },
  };
}

/** 403 unless the key (or the member it acts for) has the scope (admin implies every desk scope). */
export function requireScope(scope: Scope): RequestHandler {
  return (_req, res, next) => {
    const key = keyOf(res);
    const has = hasScope(key, scope);
    if (has) next();
    else next(scopeRefusal(key, scope, has) ?? new HttpError('FORBIDDEN', `this API key lacks the ${scope} scope`));
  };
}

/**
 * 403 for a key limited to some portfolios, acting as itself or for a desk member: `what` reaches
 * every portfolio of the desk (its fees), so it needs a key limited to none.
 */
export function requireWholeDesk(what: string): RequestHandler {
  return (_req, res, next) => next(keyOf(res).portfolios.length > 0 ? limitedKeyRefusal(what) : undefined);
}

/**
 * For what a member acting through the bot gives within the key's reach (a role, a channel grant):
 * refused to a key limited to some portfolios acting as itself; a member is bounded by its role instead.
 */
export function wholeDeskRefusal(key: ApiKeyRecord, what: string): HttpError | null {
  return key.member || key.portfolios.length === 0 ? null : limitedKeyRefusal(what);
}

function limitedKeyRefusal(what: string): HttpError {
  return new HttpError('FORBIDDEN', `this API key is limited to some portfolios: it may not change ${what}`);
}

/**
 * 403 without the operator scope: instruments and their prices and sessions are the deployment's,
 * shared by every desk, so one desk's admin may not move another desk's market.
 */
export function requireOperator(what: string): RequestHandler {
  return (_req, res, next) => {
    if (hasScope(keyOf(res), 'operator')) next();
    else next(new HttpError('FORBIDDEN', `${what} are the deployment's, shared by every desk: only an operator key may change them`));
  };
}

/** Whether a key limited to `own` portfolios may see or revoke `target` (one limited within them); a key limited to none may. */
export function keyWithin(own: readonly string[], target: { readonly portfolios: readonly string[] }): boolean {
  return own.length === 0 || (target.portfolios.length > 0 && target.portfolios.every((p) => own.includes(p)));
}

/** assertPortfolio, and for a desk member also their grant to trade it from the request's channel. */
export function assertTradePortfolio(key: ApiKeyRecord, portfolioName: string, field = 'portfolio_name'): void {
  assertPortfolio(key, portfolioName, field);
  const refusal = tradeRefusal(key, portfolioName, field);
  if (refusal) throw refusal;
}


/** `field`: the input that named the portfolio, for the error's details. */
export function assertPortfolio(key: ApiKeyRecord, portfolioName: string, field = 'portfolio_name'): void {
  if (!canUsePortfolio(key, portfolioName)) {
    throw new HttpError('FORBIDDEN', `this API key may not act on portfolio ${portfolioName}${caseHint(portfolioName, key.portfolios)}`, [
      { path: field, message: 'not allowed for this key' },
    ]);
  }
}
