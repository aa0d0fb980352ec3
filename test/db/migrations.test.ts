import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import * as wasmBindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { MigrationError, applyMigrations, readMigrationRecords } from '../../src/db/migrator.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MIGRATIONS_DIR = join(root, 'prisma', 'migrations');
const SCHEMA_PATH = join(root, 'prisma', 'schema.prisma');
const migrationNames = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort((a, b) => a.localeCompare(b));
const INIT = migrationNames[0] as string;

// ---------------------------------------------------------------------------------------------
// Prisma's schema engine compiled to WebAssembly (the build matching prisma 7.10.0), driven
// through @prisma/adapter-pg with workarounds for three adapter-pg 7.10.0 bugs.
// ---------------------------------------------------------------------------------------------

let wasmReady = false;
function loadSchemaEngineWasm(): typeof wasmBindings {
  if (!wasmReady) {
    const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown };
    let panic = '';
    g.PRISMA_WASM_PANIC_REGISTRY ??= { set_message: (m: string) => (panic = m), get: () => panic };
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@prisma/schema-engine-wasm'));
    const module = new WebAssembly.Module(readFileSync(join(dir, 'schema_engine_bg.wasm')));
    const instance = new WebAssembly.Instance(module, {
      './schema_engine_bg.js': wasmBindings as unknown as WebAssembly.ModuleImports,
    });
    wasmBindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    wasmReady = true;
  }
  return wasmBindings;
}

const COLUMN_TYPE_CHARACTER = 6; // ColumnTypeEnum.Character

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;
type Query = Parameters<Adapter['queryRaw']>[0];
interface Patchable {
  performIO(q: Query): Promise<pg.QueryResult>;
  queryRaw(q: Query): Promise<{ columnTypes: number[] }>;
  executeScript(script: string): Promise<void>;
  onError(err: unknown): never;
}

/**
 * adapter-pg 7.10.0 cannot deserialize PostgreSQL `"char"` columns (pg_catalog uses them), and its
 * executeScript splits on `;` (breaks `$$` bodies): report `"char"` as Character, send scripts whole.
 */
function patchAdapter(adapter: Adapter, pool: pg.Pool): Adapter {
  const a = adapter as unknown as Patchable;
  const charColumns = new WeakMap<object, number[]>();
  const performIO = a.performIO.bind(a);
  a.performIO = async (q) => {
    const result = await performIO(q);
    const idx: number[] = [];
    result.fields.forEach((f, i) => {
      if (f.dataTypeID === 18) {
        idx.push(i);
        f.dataTypeID = 25; // text: the value is already a one-character string
      }
    });
    charColumns.set(q, idx);
    return result;
  };
  const queryRaw = a.queryRaw.bind(a);
  a.queryRaw = async (q) => {
    const result = await queryRaw(q);
    for (const i of charColumns.get(q) ?? []) result.columnTypes[i] = COLUMN_TYPE_CHARACTER;
    return result;
  };
  a.executeScript = async (script) => {
    try {
      await pool.query(script);
    } catch (err) {
      a.onError(err);
    }
  };
  return adapter;
}

/**
 * A migration-aware factory on `url`. Its shadow database is created and dropped here: adapter-pg
 * 7.10.0 builds the shadow pool from `{ ...config, database }`, which a connection string overrides
 * (the "shadow" would be the main database).
 */
function adapterFactory(url: string): { factory: SqlMigrationAwareDriverAdapterFactory; close(): Promise<void> } {
  const pools: pg.Pool[] = [];
  const pool = (u: string): pg.Pool => {
    const p = new pg.Pool({ connectionString: u, max: 2 });
    p.on('error', () => {});
    pools.push(p);
    return p;
  };
  const factory = {
    provider: 'postgres' as const,
    adapterName: '@prisma/adapter-pg',
    async connect() {
      const p = pool(url);
      return patchAdapter(await new PrismaPg(p).connect(), p);
    },
    async connectToShadowDb() {
      const name = `prisma_shadow_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
      const admin = pool(url);
      await admin.query(`CREATE DATABASE "${name}"`);
      const shadowUrl = new URL(url);
      shadowUrl.pathname = `/${name}`;
      const p = pool(shadowUrl.toString());
      const adapter = patchAdapter(await new PrismaPg(p).connect(), p);
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await p.end().catch(() => {});
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      };
      return adapter;
    },
  } as unknown as SqlMigrationAwareDriverAdapterFactory;
  return {
    factory,
    async close() {
      for (const p of pools) await p.end().catch(() => {});
    },
  };
}

async function withSchemaEngine<T>(url: string, fn: (engine: SchemaEngine, schema: string) => Promise<T>): Promise<T> {
  const bindings = loadSchemaEngineWasm();
  const schema = readFileSync(SCHEMA_PATH, 'utf8');
  const { factory, close } = adapterFactory(url);
  const engine = (await bindings.SchemaEngine.new(
    { datamodels: [['schema.prisma', schema]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(factory),
  )) as unknown as SchemaEngine;
  try {
    return await fn(engine, schema);
  } finally {
    engine.free();
    await close();
  }
}

const noFilters = { externalTables: [], externalEnums: [] };

/** `prisma migrate diff --from-config-datasource --to-schema`: the database `url` against schema.prisma. */
async function diffDatabaseToSchema(url: string, script: boolean): Promise<{ exitCode: number; stdout: string }> {
  return withSchemaEngine(url, async (engine, schema) => {
    const files = [{ path: 'schema.prisma', content: schema }];
    const result = await engine.diff({
      from: { tag: 'schemaDatasource', files, configDir: root },
      to: { tag: 'schemaDatamodel', files },
      script,
      exitCode: true,
      filters: noFilters,
    });
    return { exitCode: result.exitCode, stdout: result.stdout ?? '' };
  });
}

// ---------------------------------------------------------------------------------------------

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function records(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await readMigrationRecords(client);
  } finally {
    await client.end();
  }
}

const databases: TestDatabase[] = [];
async function freshDatabase(migrated: boolean): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrated });
  databases.push(db);
  return db;
}

/** A temp migrations dir: a copy of prisma/migrations plus extra migrations. */
function migrationsDirWith(extra: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'paper-desk-migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}
const tempDirs: string[] = [];

afterAll(async () => {
  for (const db of databases) await db.drop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('migrator (Prisma migrate deploy semantics)', () => {
  it('applies the init migration to an empty database, records it like Prisma, then applies nothing', async () => {
    const db = await freshDatabase(false);
    const logs: string[] = [];

    expect(await applyMigrations(db.url, MIGRATIONS_DIR, (m) => logs.push(m))).toEqual(migrationNames);
    expect(logs).toContain(`Applying migration \`${INIT}\``);

    const rows = await records(db.url);
    expect(rows).toHaveLength(migrationNames.length);
    const init = rows[0];
    expect(init.migrationName).toBe(INIT);
    expect(init.checksum).toBe(sha256(join(MIGRATIONS_DIR, INIT, 'migration.sql')));
    expect(init.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(init.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(init.appliedStepsCount).toBe(1);
    expect(init.finishedAt).toBeInstanceOf(Date);
    expect(init.finishedAt!.getTime()).toBeGreaterThanOrEqual(init.startedAt.getTime());
    expect(init.logs).toBeNull();
    expect(init.rolledBackAt).toBeNull();

    // Prisma's exact table definition.
    const columns = await query<{ column_name: string; data_type: string; len: number | null; nullable: string; def: string | null }>(
      db.url,
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable AS nullable, column_default AS def
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', len: 36, nullable: 'NO', def: null },
      { column_name: 'checksum', data_type: 'character varying', len: 64, nullable: 'NO', def: null },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', len: null, nullable: 'YES', def: null },
      { column_name: 'migration_name', data_type: 'character varying', len: 255, nullable: 'NO', def: null },
      { column_name: 'logs', data_type: 'text', len: null, nullable: 'YES', def: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', len: null, nullable: 'YES', def: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', len: null, nullable: 'NO', def: 'now()' },
      { column_name: 'applied_steps_count', data_type: 'integer', len: null, nullable: 'NO', def: '0' },
    ]);

    expect(await applyMigrations(db.url, MIGRATIONS_DIR)).toEqual([]);
    expect(await records(db.url)).toHaveLength(migrationNames.length);
  });

  it('serialises concurrent deploys with the advisory lock: each migration is applied once', async () => {
    const db = await freshDatabase(false);
    const results = await Promise.all([1, 2, 3].map(() => applyMigrations(db.url, MIGRATIONS_DIR)));
    expect(results.flat().sort()).toEqual([...migrationNames].sort());
    expect(await records(db.url)).toHaveLength(migrationNames.length);
  });

  it('refuses a non-empty database without a migration history (P3005), like Prisma', async () => {
    const db = await freshDatabase(false);
    await query(db.url, 'CREATE TABLE legacy (id int)');
    await expect(applyMigrations(db.url, MIGRATIONS_DIR)).rejects.toMatchObject({ code: 'P3005' });
  });

  it('sends each migration as one query ($$ bodies with semicolons work)', async () => {
    const db = await freshDatabase(false);
    const dir = migrationsDirWith({
      '29990101000000_function': `CREATE FUNCTION add_one(i integer) RETURNS integer AS $$
BEGIN
  RETURN i + 1;
END;
$$ LANGUAGE plpgsql;
`,
    });
    tempDirs.push(dir);
    expect(await applyMigrations(db.url, dir)).toEqual([...migrationNames, '29990101000000_function']);
    expect(await query(db.url, 'SELECT add_one(41) AS v')).toEqual([{ v: 42 }]);
  });

  it('a deploy killed mid-migration leaves nothing behind: the next deploy applies that migration', async () => {
    const db = await freshDatabase(true);
    const slow = '29990101000000_slow';
    const dir = migrationsDirWith({ [slow]: 'CREATE TABLE slow_one (id integer);\nSELECT pg_sleep(30);\n' });
    tempDirs.push(dir);
    const deploy = applyMigrations(db.url, dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The session dies while the script runs, as it would with the process killed.
    let killed = 0;
    for (let i = 0; i < 500 && killed === 0; i++) {
      const rows = await query<{ n: number }>(
        db.url,
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`,
      );
      killed = rows[0].n;
      if (killed === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(killed).toBe(1);
    expect(await deploy).toBeInstanceOf(Error);
    expect((await records(db.url)).filter((r) => r.migrationName === slow)).toEqual([]);
    expect(await query(db.url, `SELECT to_regclass('slow_one') AS t`)).toEqual([{ t: null }]);

    writeFileSync(join(dir, slow, 'migration.sql'), 'CREATE TABLE slow_one (id integer);\n');
    expect(await applyMigrations(db.url, dir)).toEqual([slow]);
    const row = (await records(db.url)).find((r) => r.migrationName === slow)!;
    expect(row).toMatchObject({ appliedStepsCount: 1, rolledBackAt: null, logs: null });
    expect(row.finishedAt).not.toBeNull();
  });

  it('records a failed migration with its error, rolls its script back and blocks later deploys', async () => {
    const db = await freshDatabase(true); // the template already has the init migration
    const broken = '29990101000000_broken';
    const dir = migrationsDirWith({
      [broken]: 'CREATE TABLE half_done (id integer);\nINSERT INTO no_such_table VALUES (1);\n',
    });
    tempDirs.push(dir);

    const first = await applyMigrations(db.url, dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(first).toBeInstanceOf(MigrationError);
    expect(first).toMatchObject({ code: 'P3018', migrationName: broken });
    expect((first as Error).message).toContain('Database error code: 42P01');

    const failed = (await records(db.url)).find((r) => r.migrationName === broken)!;
    expect(failed.finishedAt).toBeNull();
    expect(failed.rolledBackAt).toBeNull();
    expect(failed.appliedStepsCount).toBe(0);
    expect(failed.checksum).toBe(sha256(join(dir, broken, 'migration.sql')));
    expect(failed.logs).toContain('A migration failed to apply. New migrations cannot be applied before the error is recovered from.');
    expect(failed.logs).toContain(`Migration name: ${broken}`);
    expect(failed.logs).toContain('ERROR: relation "no_such_table" does not exist');
    // The script ran in one implicit transaction: nothing of it is left.
    expect(await query(db.url, `SELECT to_regclass('half_done') AS t`)).toEqual([{ t: null }]);

    // Every later deploy is blocked, even with a new, valid migration (P3009), and the error says why.
    writeFileSync(join(dir, broken, 'migration.sql'), 'CREATE TABLE half_done (id integer);\n');
    mkdirSync(join(dir, '29990102000000_next'));
    writeFileSync(join(dir, '29990102000000_next', 'migration.sql'), 'CREATE TABLE next_one (id integer);\n');
    const second = await applyMigrations(db.url, dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(second).toMatchObject({ code: 'P3009', migrationName: broken });
    expect((second as Error).message).toMatch(
      new RegExp(`migrate found failed migrations in the target database, new migrations will not be applied\\.[^]*The \`${broken}\` migration started at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d+)? UTC failed with the following logs:`),
    );
    expect(await query(db.url, `SELECT to_regclass('next_one') AS t`)).toEqual([{ t: null }]);

    // `prisma migrate resolve --rolled-back` sets rolled_back_at: the fixed migration then applies.
    await query(db.url, 'UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1', [broken]);
    expect(await applyMigrations(db.url, dir)).toEqual([broken, '29990102000000_next']);
    const history = await records(db.url);
    expect(history.filter((r) => r.migrationName === broken)).toHaveLength(2);
  });
});

describe('the desks migration', () => {
  it('an upgrade from the schema before desks keeps every row in desk main, and names become unique per desk', async () => {
    const DESKS = '20261207120000_desks';
    const db = await freshDatabase(false);
    // The history up to the migration before desks, with data in it.
    const before = mkdtempSync(join(tmpdir(), 'paper-desk-migrations-'));
    tempDirs.push(before);
    for (const name of migrationNames.filter((n) => n < DESKS)) cpSync(join(MIGRATIONS_DIR, name), join(before, name), { recursive: true });
    cpSync(join(MIGRATIONS_DIR, 'migration_lock.toml'), join(before, 'migration_lock.toml'));
    await applyMigrations(db.url, before);
    await query(db.url, `INSERT INTO portfolios (name, cash, starting_cash, updated_at) VALUES ('Main', 100, 100, now()), ('Other', 5, 5, now())`);
    await query(db.url, `INSERT INTO api_keys (name, prefix, hash, scopes, portfolios) VALUES ('k', 'pk_x', repeat('a', 64), '{admin}', '{}')`);
    await query(db.url, `INSERT INTO audit_events (key_id, action, outcome) VALUES (1, 'portfolio.create', 'ok'), (NULL, 'auth.failure', 'denied')`);

    expect(await applyMigrations(db.url, MIGRATIONS_DIR)).toEqual(migrationNames.filter((n) => n >= DESKS));
    expect(await query(db.url, 'SELECT id, name FROM desks')).toEqual([{ id: 1, name: 'main' }]);
    expect(await query(db.url, 'SELECT name, desk_id FROM portfolios ORDER BY id')).toEqual([
      { name: 'Main', desk_id: 1 },
      { name: 'Other', desk_id: 1 },
    ]);
    expect(await query(db.url, 'SELECT desk_id FROM api_keys')).toEqual([{ desk_id: 1 }]);
    expect(await query(db.url, 'SELECT action, desk_id FROM audit_events ORDER BY id')).toEqual([
      { action: 'portfolio.create', desk_id: 1 },
      { action: 'auth.failure', desk_id: null },
    ]);
    // A second desk may have its own Main; one desk may not have two.
    const [{ id }] = await query<{ id: number }>(db.url, `INSERT INTO desks (name) VALUES ('second') RETURNING id`);
    expect(id).toBe(2);
    await query(db.url, `INSERT INTO portfolios (desk_id, name, cash, starting_cash, updated_at) VALUES ($1, 'Main', 1, 1, now())`, [id]);
    await expect(query(db.url, `INSERT INTO portfolios (desk_id, name, cash, starting_cash, updated_at) VALUES (1, 'Main', 1, 1, now())`)).rejects.toThrow(/portfolios_desk_id_name_key/);
    // New rows must name their desk.
    await expect(query(db.url, `INSERT INTO portfolios (name, cash, starting_cash, updated_at) VALUES ('Nowhere', 1, 1, now())`)).rejects.toThrow(/desk_id/);
  });
});

describe('schema (no drift)', () => {
  it('the migrated database matches prisma/schema.prisma (Prisma schema engine diff is empty)', async () => {
    const db = await freshDatabase(true);
    const result = await diffDatabaseToSchema(db.url, true);
    expect(result.stdout).toBe('-- This is an empty migration.\n');
    expect(result.exitCode).toBe(0);
  });

  it('the drift check is not vacuous: a changed database is reported', async () => {
    const db = await freshDatabase(true);
    await query(db.url, 'DROP INDEX "orders_symbol_id_idx"; ALTER TABLE portfolios ALTER COLUMN cash TYPE numeric(20,4)');
    const result = await diffDatabaseToSchema(db.url, false);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain('Added index on columns (symbol, id)');
    expect(result.stdout).toContain('Altered column `cash`');
  });
});

describe('Prisma client through @prisma/adapter-pg', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(true);
  });

  it('writes and reads a Portfolio and an Order with exact Decimal and BigInt values', async () => {
    const prisma = createPrismaClient(db.url, { max: 2 });
    try {
      await prisma.instrument.create({
        data: { symbol: 'ACME', name: 'Acme Corp', tickSize: '0.0100', lotSize: 1, referencePrice: '123.4500' },
      });
      const portfolio = await prisma.portfolio.create({
        data: { deskId: 1, name: 'alpha', cash: '99999999999999999999.9999', startingCash: '1000000.0000', createdBy: 'U123' },
      });
      expect(portfolio.id).toEqual(expect.any(Number));
      expect(portfolio.cash.toFixed(4)).toBe('99999999999999999999.9999'); // beyond double precision
      expect(portfolio.allowShort).toBe(false);

      const orderId = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a JS number
      await prisma.order.create({
        data: {
          id: orderId,
          portfolioId: portfolio.id,
          symbol: 'ACME',
          side: 'BUY',
          type: 'LIMIT',
          timeInForce: 'GTC',
          quantity: 1_000_000_000_000n,
          filledQuantity: 250n,
          filledNotional: '30862.5000',
          limitPrice: '123.4500',
          status: 'PARTIALLY_FILLED',
          priority: 12_345_678_901_234n,
          origin: { channel: 'C42', ts: '1700000000.000100' },
        },
      });

      const read = await prisma.order.findUniqueOrThrow({ where: { id: orderId }, include: { portfolio: true } });
      expect(read.id).toBe(orderId);
      expect(typeof read.quantity).toBe('bigint');
      expect(read.quantity).toBe(1_000_000_000_000n);
      expect(read.filledQuantity).toBe(250n);
      expect(read.priority).toBe(12_345_678_901_234n);
      expect(read.filledNotional.toFixed(4)).toBe('30862.5000');
      expect(read.limitPrice?.toFixed(4)).toBe('123.4500');
      expect(read.stopPrice).toBeNull();
      expect(read.status).toBe('PARTIALLY_FILLED');
      expect(read.waiting).toBe(false);
      expect(read.origin).toEqual({ channel: 'C42', ts: '1700000000.000100' });
      expect(read.createdAt).toBeInstanceOf(Date);
      expect(read.portfolio.name).toBe('alpha');
      expect(read.portfolio.cash.toFixed(4)).toBe('99999999999999999999.9999');

      // What PostgreSQL stored, independently of the client's conversions.
      const [raw] = await query<{ id: string; quantity: string; filled_notional: string; cash: string }>(
        db.url,
        `SELECT o.id::text, o.quantity::text, o.filled_notional::text, p.cash::text
           FROM orders o JOIN portfolios p ON p.id = o.portfolio_id`,
      );
      expect(raw).toEqual({
        id: '9007199254740993',
        quantity: '1000000000000',
        filled_notional: '30862.5000',
        cash: '99999999999999999999.9999',
      });
    } finally {
      await prisma.$disconnect();
    }
  });
});
