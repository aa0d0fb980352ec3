import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { rateLimit, type RateLimitInfo } from 'express-rate-limit';
import { actorOf, requireApiKey, keyOf } from './auth.js';
import { HttpError } from './http-errors.js';
import { errorHandler, sendError } from './error-mapper.js';
import { ordersRoutes } from './orders.routes.js';
import { tradesRoutes } from './trades.routes.js';
import { portfoliosRoutes } from './portfolios.routes.js';
import { instrumentsRoutes } from './instruments.routes.js';
import { docsRoutes } from './docs.routes.js';
import { keysRoutes } from './keys.routes.js';
import { desksRoutes } from './desks.routes.js';
import { barsRoutes } from './bars.routes.js';
import { feesRoutes } from './fees.routes.js';
import { equityRoutes } from './equity.routes.js';
import { membersRoutes } from './members.routes.js';
import { actingFor } from './on-behalf.js';
import { riskRoutes } from './risk.routes.js';
import { clusterRoutes } from './cluster.routes.js';
import { deskOf } from './desk-of.js';
import type { ApiDeps } from './deps.js';

/** The dashboard's static files: next to this file's folder in src/ and in dist/ alike. */
export function dashboardDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'dashboard', 'public'), join(here, '..', '..', 'src', 'dashboard', 'public')];
  return candidates.find((d) => existsSync(d)) ?? candidates[0];
}

/**
 * The charting library's browser builds (lightweight-charts, Apache-2.0), served from the installed
 * package as they are: the dashboard has no build step. Null when the package is not installed.
 */
export function chartLibraryDir(): string | null {
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json')), 'dist');
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

/** Helmet's headers, with a policy that lets the dashboard open its WebSocket. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: { 'connect-src': ["'self'", 'ws:', 'wss:'], 'upgrade-insecure-requests': null },
    },
  });
}

export function createApp(deps: ApiDeps): Express {
  const { env, desks, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // API answers are live state that no client revalidates; hashing each body for an ETag is wasted work.
  app.set('etag', false);
  app.set('trust proxy', 1);
  app.use(securityHeaders());
  const origins = env.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean);
  if (origins.length > 0) {
    app.use((req, res, next) => {
      const origin = req.get('origin');
      if (origin && origins.includes(origin)) {
        res.set('Access-Control-Allow-Origin', origin);
        res.set('Vary', 'Origin');
        res.set('Access-Control-Allow-Headers', 'Content-Type, X-API-Key');
        res.set('Access-Control-Allow-Methods', 'GET, POST, PATCH, PUT, DELETE, OPTIONS');
      }
      if (req.method === 'OPTIONS') res.sendStatus(204);
      else next();
    });
  }

  // During a shutdown, requests in flight finish and commit; new ones are told to come back.
  app.use((_req, res, next) => {
    if (!deps.stopping?.()) return next();
    res.set('Connection', 'close');
    sendError(res, 'UNAVAILABLE', 'the OMS is shutting down; nothing was done: retry once it is back');
  });

  app.get('/health', async (_req, res) => {
    try {
      await deps.checkDatabase();
    } catch {
      sendError(res, 'UNAVAILABLE', 'the database is not reachable');
      return;
    }
    const components = { ...deps.healthComponents?.(), ...(deps.cluster ? { desks_owned: desks.all().length } : {}) };
    const degraded = desks.degraded().map((d) => d.desk.name);
    if (desks.replaced) sendError(res, 'UNAVAILABLE', 'another OMS has taken over the database: this one accepts nothing more');
    else if (degraded.length > 0) {
      res.status(503).json({ status: 'degraded', database: 'ok', ...components, degraded_desks: degraded, detail: 'a commit failed: the desk is reloading its committed state and serves again by itself' });
    }
    else if (deps.ready && !deps.ready()) res.status(503).json({ status: 'starting', database: 'ok', ...components, detail: 'loading the books and the first quotes' });
    else res.json({ status: 'ok', database: 'ok', ...components });
  });

  const api = express.Router();
  // The body's bytes are kept for a request forwarded to its desk's owner in a cluster, which then
  // reads exactly what the client sent.
  api.use(express.json({ limit: env.BODY_LIMIT, verify: deps.forward ? (req, _res, buf) => void ((req as { rawBody?: Buffer }).rawBody = buf) : undefined }));
  // express.json leaves any other body unread: without this, a form or text body would read as
  // "every field missing".
  api.use((req, _res, next) => {
    // An empty body (a bare PUT of /channels/{channel}/trading) has no media type to refuse.
    if (req.is('application/json') === false && req.get('content-length') !== '0') {
      const type = req.get('content-type') ?? 'none';
      next(new HttpError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON, with Content-Type: application/json', [
        { path: '(content-type)', message: `${type} is not application/json` },
      ]));
    } else next();
  });
  api.use(
    requireApiKey(deps.keys, (reason, req) => {
      desks.main?.audit(null, 'auth.failure', `${req.method} ${req.baseUrl}${req.path}`, 'denied', { reason, ip: req.ip });
    }),
  );
  // Every command acts within the desk of its key.
  api.use((_req, res, next) => {
    const desk = desks.get(keyOf(res).deskId);
    if (desk) {
      res.locals.desk = desk;
      next();
    } else if (deps.cluster && _req.path === '/cluster') next(); // the cluster's, not a desk's: any process answers
    else if (deps.forward?.(keyOf(res).deskId, _req, res)) return;
    else {
      res.set('Retry-After', '1');
      sendError(res, 'UNAVAILABLE', "the key's desk is not served here yet; nothing was done: retry in a moment");
    }
  });
  // A key with act_as acting for a desk member (On-Behalf-Of): the member's role and grants from here on.
  api.use(actingFor(deps.members));
  api.use(
    rateLimit({
      windowMs: 60_000,
      limit: env.RATE_LIMIT_PER_MINUTE,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      keyGenerator: (_req, res) => `key:${keyOf(res).id}`,
      handler: (req, res, _next, options) => {
        // The key's own window: whole seconds until it resets (at least 1, so a client never retries at once).
        const reset = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
        const ms = reset === undefined ? options.windowMs : reset.getTime() - Date.now();
        res.set('Retry-After', String(Math.max(1, Math.ceil(ms / 1000))));
        sendError(res, 'RATE_LIMITED', `more than ${env.RATE_LIMIT_PER_MINUTE} requests a minute for this key`);
      },
    }),
  );
  api.use(ordersRoutes(deps));
  api.use(tradesRoutes(deps));
  api.use(portfoliosRoutes(deps));
  api.use(instrumentsRoutes(deps));
  api.use(keysRoutes(deps));
  api.use(desksRoutes(deps));
  api.use(barsRoutes(deps.bars));
  api.use(feesRoutes(deps));
  api.use(equityRoutes(deps.equity));
  api.use(membersRoutes(deps));
  api.use(riskRoutes(deps));
  api.use(clusterRoutes(deps));
  api.use((req, res) => sendError(res, 'NOT_FOUND', `no route ${req.method} ${req.baseUrl}${req.path}`));
  // A valid key used outside its scopes or portfolios is an auth failure too: audited, then mapped.
  api.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (err instanceof HttpError && err.code === 'FORBIDDEN') {
      (deskOf(res) ?? desks.main)?.audit(actorOf(res), 'auth.forbidden', `${req.method} ${req.baseUrl}${req.path}`, 'denied', { reason: err.message, ip: req.ip });
    }
    next(err);
  });
  // The API is the hot path: its requests meet no other router on the way in.
  app.use('/api/v1', api);
  app.use(docsRoutes());
  deps.mount?.(app);
  const chartLibrary = chartLibraryDir();
  if (chartLibrary) app.use('/vendor/lightweight-charts', express.static(chartLibrary, { index: false, maxAge: 0 }));
  app.use(express.static(dashboardDir(), { index: 'index.html', maxAge: 0 }));
  app.use((req, res) => sendError(res, 'NOT_FOUND', `no route ${req.method} ${req.path}`));
  app.use(errorHandler(logger));
  return app;
}
