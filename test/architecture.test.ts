import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Reads docs/architecture.md's table and checks every import of src/ against it. */
const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

interface Part {
  readonly name: string;
  readonly folder: string;
  readonly never: readonly string[];
}

function parts(): Part[] {
  const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const rows = doc.split('\n').filter((l) => /^\| [a-z]+ \| `src\//.test(l));
  return rows.map((row) => {
    const cells = row.split('|').map((c) => c.trim());
    return { name: cells[1], folder: cells[2].replace(/`/g, ''), never: cells[4].split(',').map((s) => s.trim()).filter(Boolean) };
  });
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The top folder of src/ a file is in (`oms`, `api`, ...), or '' for a file at the top. */
function folderOf(file: string): string {
  const rel = relative(src, file).split(sep);
  return rel.length > 1 ? rel[0] : '';
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
  const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  return [...specifiers, ...dynamic].filter((s) => s.startsWith('.'));
}

describe('the architecture', () => {
  const table = parts();

  it('names every part of src/ that holds code', () => {
    expect(table.map((p) => p.name).sort()).toEqual(['api', 'cluster', 'db', 'engine', 'feed', 'market', 'oms', 'slack', 'timing', 'wire']);
    for (const p of table) expect(statSync(join(root, p.folder)).isDirectory()).toBe(true);
  });

  it('has no import that the table forbids', () => {
    const violations: string[] = [];
    for (const part of table) {
      for (const file of files(join(root, part.folder))) {
        for (const spec of importsOf(file)) {
          const target = folderOf(resolve(dirname(file), spec));
          if (part.never.includes(target)) violations.push(`${relative(root, file)} imports ${spec} (${part.name} must never import ${target})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('catches a forbidden import when there is one', () => {
    // The checker itself: a line the feed must never have is seen as such.
    const fake = join(src, 'feed', 'x.ts');
    const target = folderOf(resolve(dirname(fake), '../api/auth.js'));
    expect(table.find((p) => p.name === 'feed')!.never).toContain(target);
  });
});
