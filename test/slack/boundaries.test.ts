import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The bot is a client of the OMS's REST API: it may share the wire's shapes (src/wire), never the
 * OMS's insides. Followed through every relative import, type-only ones included, so that a wire
 * file reaching into the OMS counts too.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FORBIDDEN = ['src/oms/', 'src/api/', 'src/db/', 'src/feed/', 'src/engine/', 'src/market/'];

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

describe('the Slack bot', () => {
  it('reaches no part of the OMS but the wire shapes, however indirectly', () => {
    const seen = new Map<string, string>(); // file -> the file that imported it
    const queue = sourcesUnder(join(root, 'src/slack'));
    for (const f of queue) seen.set(f, f);
    while (queue.length > 0) {
      const file = queue.pop()!;
      for (const target of relativeImports(file)) {
        if (seen.has(target)) continue;
        seen.set(target, file);
        queue.push(target);
      }
    }
    const reached = [...seen.keys()].map((f) => relative(root, f));
    expect(reached).toEqual(expect.arrayContaining(['src/wire/response-schemas.ts']));
    const wrong = [...seen.entries()]
      .filter(([f]) => FORBIDDEN.some((dir) => relative(root, f).startsWith(dir)))
      .map(([f, by]) => `${relative(root, f)} (imported by ${relative(root, by)})`);
    expect(wrong).toEqual([]);
  });
});
