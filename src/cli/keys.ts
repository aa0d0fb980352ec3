import { parseArgs } from 'node:util';
import { loadDotEnvOrExit } from '../config/dotenv.js';
import { withDatabase } from './database-url.js';
import { ApiKeyRepository, SCOPES, type Scope } from '../db/api-key.repository.js';
import { DeskRepository } from '../db/desk.repository.js';
import { MAIN_DESK_NAME } from '../db/desks.js';

const USAGE = `usage:
  npm run keys -- create --name <name> [--scopes read,trade,admin,operator] [--portfolios "A,B"] [--desk <desk name>]
  npm run keys -- list
  npm run keys -- revoke <id>`;

/** `npm run keys`: create (prints the key once), list (never shows keys), revoke. */
async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, portfolios: { type: 'string' }, desk: { type: 'string' } },
  });
  const [command, arg] = positionals;
  if (command === 'create') {
    if (!values.name) return fail('--name is required');
    const scopes = (values.scopes ?? 'read,trade').split(',').map((s) => s.trim()).filter(Boolean);
    const bad = scopes.find((s) => !(SCOPES as string[]).includes(s));
    if (bad) return fail(`unknown scope ${bad}: use ${SCOPES.join(', ')}`);
    const portfolios = (values.portfolios ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const made = await withDatabase(async (p) => {
      const desk = (await new DeskRepository(p).list()).find((d) => d.name === (values.desk ?? MAIN_DESK_NAME));
      if (!desk) return null;
      return { desk, ...(await new ApiKeyRepository(p).create({ name: values.name!, scopes: scopes as Scope[], portfolios, deskId: desk.id })) };
    });
    if (!made) return fail(`no desk ${values.desk}`);
    const { key, record, desk } = made;
    console.log(`created key ${record.id} (${record.name}) desk=${desk.name} scopes=${record.scopes.join(',')} portfolios=${portfolios.join(',') || '*'}`);
    console.log(`key (shown once, only its hash is stored): ${key}`);
    return 0;
  }
  if (command === 'list') {
    const [keys, desks] = await withDatabase((p) => Promise.all([new ApiKeyRepository(p).list(), new DeskRepository(p).list()]));
    const deskName = new Map(desks.map((d) => [d.id, d.name]));
    for (const k of keys) {
      console.log(`${k.id}\t${deskName.get(k.deskId) ?? k.deskId}\t${k.prefix}…\t${k.name}\t${k.scopes.join(',')}\t${k.portfolios.join(',') || '*'}\t${k.revokedAt ? 'revoked' : 'active'}`);
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
