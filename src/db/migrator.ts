// Applies the migrations of prisma/migrations exactly the way Prisma's schema engine does for
// `prisma migrate deploy`, so a machine that has the native engine sees the same history:
//
// - one session; `SELECT pg_advisory_lock(72707369)` (10 s timeout) serialises concurrent deploys;
// - `_prisma_migrations` is created with Prisma's DDL when missing (only in an empty schema: a
//   non-empty schema without it is P3005, as with Prisma);
// - a row still unfinished and not rolled back (a failed migration) blocks every deploy (P3009)
//   until it is resolved (`prisma migrate resolve --rolled-back <name>` sets `rolled_back_at`);
// - per pending migration (directories sorted by name): send the whole file as ONE simple-protocol
//   query (PostgreSQL runs a multi-statement query in one implicit transaction), followed in that
//   same query by its row (uuid, checksum = lowercase hex SHA-256 of migration.sql, started_at,
//   name, applied_steps_count 1, finished_at), so script and row commit together (the engine writes
//   the row first, then the script, then finishes the row: a kill in between blocked every later
//   deploy); on error the row is written unfinished with Prisma's P3018 text in `logs` and the
//   deploy stops.
//
// Reference: prisma-engines, schema-engine/core/src/commands/apply_migrations.rs,
// sql-schema-connector/src/sql_migration_persistence.rs and flavour/postgres.rs.

import { createHash, randomUUID } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

export const MIGRATE_ADVISORY_LOCK_ID = 72707369;
export const MIGRATIONS_TABLE = '_prisma_migrations';
const ADVISORY_LOCK_TIMEOUT_MS = 10_000;

/** Prisma's DDL for the migrations table (flavour/postgres.rs, `create_migrations_table`). */
export const MIGRATIONS_TABLE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
`;

/** Tables Prisma ignores when it decides whether a schema is empty (PostGIS). */
const IGNORED_TABLES = /^(spatial_ref_sys|geometry_columns|geography_columns|raster_columns|raster_overviews)$/i;

const RESOLVE_HINT =
  'Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve';

export type MigrationLog = (message: string) => void;

/** A deploy failure, with Prisma's error code (P3005, P3009, P3018, P3019, P1002, ...). */
export class MigrationError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly migrationName?: string,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

export interface MigrationFile {
  /** Directory name, e.g. `20261123103834_init`. */
  name: string;
  /** The exact bytes of migration.sql, or undefined when the file cannot be read. */
  script?: Buffer;
  readError?: string;
}

export interface MigrationRecord {
  id: string;
  checksum: string;
  finishedAt: Date | null;
  migrationName: string;
  logs: string | null;
  rolledBackAt: Date | null;
  startedAt: Date;
  /** `started_at` printed the way the engine prints it (`2026-11-23 10:38:34.123456 UTC`). */
  startedAtText: string;
  appliedStepsCount: number;
}

/** Lowercase hex SHA-256 of the script's bytes, as the engine records it. */
export function migrationChecksum(script: Buffer | string): string {
  return createHash('sha256').update(script).digest('hex');
}

/** The migration directories in the order Prisma applies them (the CLI sorts with localeCompare). */
export async function listMigrationDirectories(migrationsDir: string): Promise<MigrationFile[]> {
  let entries;
  try {
    entries = await readdir(migrationsDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const migrations: MigrationFile[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    try {
      migrations.push({ name: entry.name, script: await readFile(join(migrationsDir, entry.name, 'migration.sql')) });
    } catch (err) {
      migrations.push({ name: entry.name, readError: (err as Error).message });
    }
  }
  return migrations.sort((a, b) => a.name.localeCompare(b.name));
}

/** P3019 when migration_lock.toml names another provider (engine: `error_on_changed_provider`). */
async function checkLockfile(migrationsDir: string): Promise<void> {
  let content: string;
  try {
    content = await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8');
  } catch {
    return;
  }
  const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(content)?.[1];
  if (provider !== undefined && provider !== 'postgresql') {
    throw new MigrationError(
      'P3019',
      `The datasource provider \`postgresql\` specified in your schema does not match the one specified in the migration_lock.toml, \`${provider}\`. Please remove your current migration directory and start a new migration history with prisma migrate dev. Read more: https://pris.ly/d/migrate-provider-switch`,
    );
  }
}

/** Where the URL points, for messages: never the user or password. */
export function describeDatabase(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const db = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default)';
    const schema = url.searchParams.get('schema') ?? 'public';
    return `PostgreSQL database "${db}", schema "${schema}" at "${url.hostname}${url.port ? `:${url.port}` : ''}"`;
  } catch {
    return 'PostgreSQL database (unparsable URL)';
  }
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The `schema` URL parameter Prisma honours (pg ignores it); `public` by default. */
function schemaOf(databaseUrl: string): { name: string; explicit: boolean } {
  try {
    const schema = new URL(databaseUrl).searchParams.get('schema');
    if (schema) return { name: schema, explicit: true };
  } catch {
    /* pg reports bad URLs itself */
  }
  return { name: 'public', explicit: false };
}

/** pg ignores the `schema` parameter but some other tools choke on it: strip it for pg. */
function pgConnectionString(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (!url.searchParams.has('schema')) return databaseUrl;
    url.searchParams.delete('schema');
    return url.toString();
  } catch {
    return databaseUrl;
  }
}

/** `prisma migrate deploy` creates the database when it does not exist yet (CLI: ensureDatabaseExists). */
async function connect(databaseUrl: string, log: MigrationLog): Promise<pg.Client> {
  const connectionString = pgConnectionString(databaseUrl);
  const client = new pg.Client({ connectionString });
  let missing: unknown;
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => {});
    if ((err as { code?: string }).code !== '3D000') throw err;
    missing = err;
  }
  // Like the engine: connect to a maintenance database and CREATE DATABASE.
  const url = new URL(connectionString);
  const dbName = decodeURIComponent(url.pathname.replace(/^\//, ''));
  for (const adminDb of ['postgres', 'template1', 'defaultdb']) {
    url.pathname = `/${adminDb}`;
    const admin = new pg.Client({ connectionString: url.toString() });
    try {
      await admin.connect();
    } catch (err) {
      await admin.end().catch(() => {});
      if (['3D000', '28000', '42501'].includes((err as { code?: string }).code ?? '')) continue;
      throw err;
    }
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(dbName)}`);
      log(`${describeDatabase(databaseUrl)} created`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently: fine
    } finally {
      await admin.end().catch(() => {});
    }
    const fresh = new pg.Client({ connectionString });
    await fresh.connect();
    return fresh;
  }
  throw missing;
}

function formatTimestamp(text: string): string {
  // chrono's Display: `YYYY-MM-DD HH:MM:SS[.fff|.ffffff] UTC`.
  const m = /^(\S+ \d\d:\d\d:\d\d)\.(\d{6})$/.exec(text);
  if (!m) return `${text} UTC`;
  let frac = m[2];
  if (frac === '000000') frac = '';
  else if (frac.endsWith('000')) frac = frac.slice(0, 3);
  return `${m[1]}${frac ? `.${frac}` : ''} UTC`;
}

export async function readMigrationRecords(client: pg.ClientBase): Promise<MigrationRecord[]> {
  const { rows } = await client.query<{
    id: string;
    checksum: string;
    finished_at: Date | null;
    migration_name: string;
    logs: string | null;
    rolled_back_at: Date | null;
    started_at: Date;
    started_at_text: string;
    applied_steps_count: number;
  }>(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at,
            to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS started_at_text,
            applied_steps_count
       FROM _prisma_migrations ORDER BY started_at ASC`,
  );
  return rows.map((r) => ({
    id: r.id,
    checksum: r.checksum,
    finishedAt: r.finished_at,
    migrationName: r.migration_name,
    logs: r.logs,
    rolledBackAt: r.rolled_back_at,
    startedAt: r.started_at,
    startedAtText: formatTimestamp(r.started_at_text),
    appliedStepsCount: r.applied_steps_count,
  }));
}

/** Rust `{:?}` of an Option<&str>, close enough to the engine's DbError dump. */
function debugOpt(value: string | undefined): string {
  return value === undefined ? 'None' : `Some(${JSON.stringify(value)})`;
}

const SEVERITY_NAMES: Record<string, string> = {
  PANIC: 'Panic',
  FATAL: 'Fatal',
  ERROR: 'Error',
  WARNING: 'Warning',
  NOTICE: 'Notice',
  DEBUG: 'Debug',
  INFO: 'Info',
  LOG: 'Log',
};

/** The `Position:` excerpt the engine appends (5 lines of context, the failing line in red). */
function positionExcerpt(script: string, position: number): string {
  const previous = ['', '', '', '', ''];
  let byteIndex = 0;
  const lines = script.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const lineNumber = i + 1;
    byteIndex += Buffer.byteLength(line) + 1;
    if (position <= byteIndex) {
      const numbered = previous
        .map((l, idx) => ({ n: lineNumber - (previous.length - idx), l }))
        .filter(({ n }) => n >= 0)
        .map(({ n, l }) => `\x1b[1m${String(n).padStart(3)}\x1b[0m${l === '' ? '' : ' '}${l}`)
        .join('\n');
      return `\n\nPosition:\n${numbered}\n\x1b[1m${String(lineNumber).padStart(3)}\x1b[1;31m ${line}\x1b[0m`;
    }
    previous.shift();
    previous.push(line);
  }
  return '';
}

/** The text the engine stores in `logs` and reports for a failed migration (P3018). */
export function formatApplyError(migrationName: string, script: string, err: unknown): string {
  let code = 'none';
  let databaseError: string;
  const e = err as pg.DatabaseError & { code?: string };
  if (err instanceof pg.DatabaseError || (e && typeof e === 'object' && 'severity' in e && e.code)) {
    code = e.code ?? 'none';
    const severity = e.severity ?? 'ERROR';
    let display = `${severity}: ${e.message}`;
    if (e.detail) display += `\nDETAIL: ${e.detail}`;
    if (e.hint) display += `\nHINT: ${e.hint}`;
    const position = e.position ? positionExcerpt(script, Number(e.position)) : '';
    const dump =
      `DbError { severity: ${JSON.stringify(severity)}, parsed_severity: ${SEVERITY_NAMES[severity] ? `Some(${SEVERITY_NAMES[severity]})` : 'None'}, ` +
      `code: SqlState(E${code}), message: ${JSON.stringify(e.message)}, detail: ${debugOpt(e.detail)}, hint: ${debugOpt(e.hint)}, ` +
      `position: ${e.position ? `Some(Original(${e.position}))` : 'None'}, where_: ${debugOpt(e.where)}, schema: ${debugOpt(e.schema)}, ` +
      `table: ${debugOpt(e.table)}, column: ${debugOpt(e.column)}, datatype: ${debugOpt(e.dataType)}, constraint: ${debugOpt(e.constraint)}, ` +
      `file: ${debugOpt(e.file)}, line: ${e.line ? `Some(${e.line})` : 'None'}, routine: ${debugOpt(e.routine)} }`;
    databaseError = `${display}${position}\n\n${dump}`;
  } else {
    if (e && typeof e === 'object' && typeof e.code === 'string') code = e.code;
    databaseError = err instanceof Error ? err.message : String(err);
  }
  return (
    `A migration failed to apply. New migrations cannot be applied before the error is recovered from. ${RESOLVE_HINT}\n\n` +
    `Migration name: ${migrationName}\n\nDatabase error code: ${code}\n\nDatabase error:\n${databaseError}`
  );
}

async function acquireLock(client: pg.Client): Promise<void> {
  if (process.env.PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK) return; // same escape hatch as Prisma
  await client.query(`SET lock_timeout = ${ADVISORY_LOCK_TIMEOUT_MS}`);
  try {
    await client.query(`SELECT pg_advisory_lock(${MIGRATE_ADVISORY_LOCK_ID})`);
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') {
      throw new MigrationError(
        'P1002',
        `Timed out trying to acquire a postgres advisory lock (SELECT pg_advisory_lock(${MIGRATE_ADVISORY_LOCK_ID})). Timeout: ${ADVISORY_LOCK_TIMEOUT_MS}ms. See https://pris.ly/d/migrate-advisory-locking for details.`,
      );
    }
    throw err;
  } finally {
    await client.query('RESET lock_timeout');
  }
}

/** Creates the schema when missing (engine: `setup_connection`) and the migrations table (`initialize`). */
async function initialize(client: pg.Client, schema: string): Promise<void> {
  const { rows } = await client.query<{ table_name: string }>(
    `SELECT tbl.relname AS table_name
       FROM pg_class AS tbl
       INNER JOIN pg_namespace AS namespace ON namespace.oid = tbl.relnamespace
      WHERE tbl.relkind = 'r' AND namespace.nspname = ANY ($1)`,
    [[schema]],
  );
  const names = rows.map((r) => r.table_name);
  if (names.includes(MIGRATIONS_TABLE)) return;
  if (names.some((n) => !IGNORED_TABLES.test(n))) {
    throw new MigrationError(
      'P3005',
      'The database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline',
    );
  }
  await client.query(MIGRATIONS_TABLE_DDL);
}

function failedMigrationsError(failed: MigrationRecord[]): MigrationError {
  const details = failed
    .map((m) => {
      const logs = m.logs?.trim() ? ` with the following logs:\n${m.logs.trim()}` : '';
      return `The \`${m.migrationName}\` migration started at ${m.startedAtText} failed${logs}\n`;
    })
    .join('');
  return new MigrationError(
    'P3009',
    `migrate found failed migrations in the target database, new migrations will not be applied. ${RESOLVE_HINT}\n${details}`,
    failed[0]?.migrationName,
  );
}

/**
 * Applies the pending migrations of `migrationsDir` to the database; returns the names applied
 * (empty when the database is up to date). Throws a {@link MigrationError} on any deploy error.
 */
export async function applyMigrations(
  databaseUrl: string,
  migrationsDir: string,
  log: MigrationLog = () => {},
): Promise<string[]> {
  await checkLockfile(migrationsDir);
  const migrations = await listMigrationDirectories(migrationsDir);
  const schema = schemaOf(databaseUrl);

  const client = await connect(databaseUrl, log);
  // A server-side error on an idle connection must not crash the process.
  client.on('error', () => {});
  try {
    if (schema.explicit) await client.query(`SET search_path = ${quoteIdent(schema.name)}`);
    const { rows: exists } = await client.query<{ exists: boolean }>(
      'SELECT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists',
      [schema.name],
    );
    if (!exists[0]?.exists) await client.query(`CREATE SCHEMA ${quoteIdent(schema.name)}`);

    await acquireLock(client);
    await initialize(client, schema.name);

    const records = await readMigrationRecords(client);
    const failed = records.filter((r) => r.finishedAt === null && r.rolledBackAt === null);
    if (failed.length > 0) throw failedMigrationsError(failed);

    const live = records.filter((r) => r.rolledBackAt === null);
    for (const m of migrations) {
      const record = live.find((r) => r.migrationName === m.name);
      if (record && m.script && record.checksum !== migrationChecksum(m.script)) {
        log(`Warning: migration \`${m.name}\` was modified after it was applied (checksum mismatch).`);
      }
    }
    const pending = migrations.filter((m) => !live.some((r) => r.migrationName === m.name));
    log(`${migrations.length} migration${migrations.length === 1 ? '' : 's'} found in ${migrationsDir}`);

    const applied: string[] = [];
    for (const migration of pending) {
      if (!migration.script) {
        throw new MigrationError(
          'P3015',
          `Could not find the migration file at ${join(migrationsDir, migration.name, 'migration.sql')}. Please delete the directory or restore the migration file. (${migration.readError ?? 'unreadable'})`,
          migration.name,
        );
      }
      const bytes = migration.script;
      const script = bytes.toString('utf8');
      log(`Applying migration \`${migration.name}\``);

      const id = randomUUID();
      const checksum = migrationChecksum(bytes);
      const startedAt = new Date();
      // Unlike the engine, the history row is written by the script's own query, finished, so it
      // commits with the script: a process killed mid-migration leaves neither half a script nor
      // an unfinished row that would block every later deploy (P3009) until resolved by hand.
      const record =
        'INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name, applied_steps_count, finished_at) ' +
        `VALUES (${quoteLiteral(id)}, ${quoteLiteral(checksum)}, ${quoteLiteral(startedAt.toISOString())}, ${quoteLiteral(migration.name)}, 1, clock_timestamp())`;
      try {
        // No parameters: pg uses the simple query protocol, the whole text in one message, run by
        // PostgreSQL in one implicit transaction.
        await client.query(`${script}\n;\n${record};`);
      } catch (err) {
        const logs = formatApplyError(migration.name, script, err);
        // A script with its own BEGIN may leave the session in an aborted transaction.
        await client.query('ROLLBACK').catch(() => {});
        // A script that failed is recorded as Prisma records it: unfinished, with the error.
        await client.query('INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name, logs) VALUES ($1, $2, $3, $4, $5)', [
          id,
          checksum,
          startedAt,
          migration.name,
          logs,
        ]);
        throw new MigrationError('P3018', logs, migration.name);
      }
      applied.push(migration.name);
    }

    if (applied.length === 0) log('No pending migrations to apply.');
    else {
      log(`The following migration(s) have been applied:\n${applied.map((n) => `  ${n}`).join('\n')}`);
      log('All migrations have been successfully applied.');
    }
    return applied;
  } finally {
    // Closing the session releases the advisory lock, as with the engine.
    await client.end().catch(() => {});
  }
}
