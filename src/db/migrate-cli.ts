// `npm run migrate`: applies pending migrations of prisma/migrations to DATABASE_URL, like
// `prisma migrate deploy` (which needs a native engine this project does not download).

import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDotEnvOrExit } from '../config/dotenv.js';
import { MigrationError, applyMigrations, describeDatabase } from './migrator.js';

// src/db/migrate-cli.ts and dist/db/migrate-cli.js are both two levels below the package root.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MIGRATIONS_DIR = join(packageRoot, 'prisma', 'migrations');

async function main(): Promise<number> {
  loadDotEnvOrExit();
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error('DATABASE_URL is not set: export the PostgreSQL connection URL (or put it in .env) to migrate.');
    return 1;
  }
  console.log(`Datasource: ${describeDatabase(databaseUrl)}`);
  try {
    await applyMigrations(databaseUrl, MIGRATIONS_DIR, (message) =>
      console.log(message.replace(MIGRATIONS_DIR, relative(process.cwd(), MIGRATIONS_DIR) || '.')),
    );
    return 0;
  } catch (err) {
    if (err instanceof MigrationError) console.error(`Error: ${err.code}\n\n${err.message}`);
    else console.error(`Error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main();
