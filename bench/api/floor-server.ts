import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import pg from 'pg';
import { securityHeaders } from '../../src/api/app.js';
import { placeOrderBody } from '../../src/api/schemas.js';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';

/**
 * The floor under (b): what any durable order endpoint behind the OMS's required edge pays before it
 * does any trading. The same Express settings, helmet headers, JSON body limit, API-key check, per-key
 * rate limit and zod schema as POST /api/v1/orders, then one row per request made durable by a group
 * commit (one INSERT and one fsync per batch) on its own embedded PostgreSQL, and a 201 with the
 * order. No matching, no positions, no audit: the OMS can come no closer to the echo than this does.
 */
const KEY = 'floor-bench-key';
const db = await startEmbeddedPostgres({ dataDir: join(tmpdir(), `paper-desk-floor-${process.pid}`), persistent: false });
const pool = new pg.Pool({ connectionString: db.url, max: 2 });
// pool.end() resolves before its connections have closed, so the server's shutdown right after can
// still reach one of them; without a listener that error would crash this process before db.stop()
// removes its data directory.
pool.on('error', () => undefined);
await pool.query('CREATE TABLE floor_orders (id bigserial PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');

type Waiter = { body: string; resolve: (id: number) => void; reject: (e: unknown) => void };
let pending: Waiter[] = [];
let flushing = false;
function durable(body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    pending.push({ body: JSON.stringify(body), resolve, reject });
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  });
}
async function flush(): Promise<void> {
  while (pending.length > 0) {
    const batch = pending;
    pending = [];
    try {
      const { rows } = await pool.query<{ id: string }>({
        name: 'floor-batch',
        text: 'INSERT INTO floor_orders (body) SELECT b FROM unnest($1::jsonb[]) WITH ORDINALITY AS u(b, n) ORDER BY n RETURNING id',
        values: [batch.map((w) => w.body)],
      });
      batch.forEach((w, i) => w.resolve(Number(rows[i].id)));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
  flushing = false;
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(securityHeaders());
const api = express.Router();
api.use(express.json({ limit: '64kb' }));
api.use((req, res, next) => {
  if (req.get('x-api-key') === KEY) return next();
  res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'the API key is not valid' } });
});
api.use(rateLimit({ windowMs: 60_000, limit: 100_000_000, standardHeaders: 'draft-7', legacyHeaders: false, keyGenerator: () => 'key:1' }));
api.post('/orders', async (req, res) => {
  const parsed = placeOrderBody.safeParse(req.body);
  if (!parsed.success) {
    res.status(400).json({ error: { code: 'VALIDATION_FAILED', message: parsed.error.message } });
    return;
  }
  // The parsed form holds money as bigint units; the row and the answer carry the client's text.
  const body = req.body as Record<string, unknown>;
  const id = await durable(body);
  res.status(201).json({ id, ...body, status: 'NEW', filled_quantity: 0, remaining_quantity: parsed.data.quantity, fills: [] });
});
app.use('/api/v1', api);
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0, key: KEY });
});
process.on('disconnect', async () => {
  server.close();
  await pool.end();
  await db.stop();
  process.exit(0);
});
