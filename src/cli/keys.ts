import { parseArgs } from 'node:util';
import { loadDotEnvOrExit } from '../config/dotenv.js';
import { withDatabase } from './database-url.js';
import { ApiKeyRepository, SCOPES, type Scope } from '../db/api-key.repository.js';

const USAGE = `usage:
  npm run keys -- create --name <name> [--scopes read,trade,admin] [--portfolios "A,B"]
  npm run keys -- list
  npm run keys -- revoke <id>`;

/** `npm run keys`: create (prints the key once), list (never shows keys), revoke. */
async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, portfolios: { type: 'string' } },
  });
  const [command, arg] = positionals;
  if (command === 'create') {
    if (!values.name) return fail('--name is required');
    const scopes = (values.scopes ?? 'read,trade').split(',').map((s) => s.trim()).filter(Boolean);
    const bad = scopes.find((s) => !(SCOPES as string[]).includes(s));
    if (bad) return fail(`unknown scope ${bad}: use ${SCOPES.join(', ')}`);
    const portfolios = (values.portfolios ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const { key, record } = await withDatabase((p) =>
      new ApiKeyRepository(p).create({ name: values.name!, scopes: scopes as Scope[], portfolios }),
    );
    console.log(`created key ${record.id} (${record.name}) scopes=${record.scopes.join(',')} portfolios=${portfolios.join(',') || '*'}`);
    console.log(`key (shown once, only its hash is stored): ${key}`);
    return 0;
  }
  if (command === 'list') {
    const keys = await withDatabase((p) => new ApiKeyRepository(p).list());
    for (const k of keys) {
      console.log(`${k.id}\t${k.prefix}…\t${k.name}\t${k.scopes.join(',')}\t${k.portfolios.join(',') || '*'}\t${k.revokedAt ? 'revoked' : 'active'}`);
    }
    return 0;
  }
  if (command === 'revoke') {
    const id = Number(arg);
    if (!Number.isInteger(id) || id <= 0) return fail('revoke needs a key id (see list)');
    const done = await withDatabase((p) => new ApiKeyRepository(p).revoke(id));
    console.log(done ? `revoked key ${id}` : `no active key ${id}`);
    return done ? 0 : 1;
  }
  return fail(command ? `unknown command ${command}` : 'missing command');
}

function fail(message: string): number {
  console.error(`${message}\n${USAGE}`);
  return 2;
}

loadDotEnvOrExit();
process.exit(
  await main().catch((error: unknown) => {
    console.error(`keys could not run: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }),
);
