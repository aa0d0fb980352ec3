import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** A `.env` file that exists but cannot be used; its message is one line and never quotes a value. */
export class DotEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DotEnvError';
  }
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/**
 * Reads `file` (default `.env` in the working directory) into `env` when it exists, with Node's own
 * parser (the one `process.loadEnvFile` uses) and its rule: a variable `env` already has, even an
 * empty one, is left as it is, so the real environment always wins over the file. A missing file is
 * fine. Node's parser skips lines it does not understand; here such a line is an error, because a
 * typo there would otherwise silently start the service with a default. Returns the names it set.
 */
export function loadDotEnv(file = '.env', env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new DotEnvError(`${file} could not be read (${code ?? (error as Error).message})`);
  }
  checkLines(file, text);
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (value === undefined || env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}

/** Every line must be blank, a comment, NAME=value, or part of a quoted value spanning lines. */
function checkLines(file: string, text: string): void {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const match = ASSIGNMENT.exec(line);
    if (!match) throw new DotEnvError(`${file} line ${i + 1}: expected NAME=value`);
    const [, name, value] = match;
    const quote = value[0];
    if (quote !== '"' && quote !== "'" && quote !== '`') continue;
    if (value.indexOf(quote, 1) !== -1) continue;
    const end = lines.findIndex((l, j) => j > i && l.includes(quote));
    if (end === -1) throw new DotEnvError(`${file} line ${i + 1}: the quoted value of ${name} is never closed`);
    i = end;
  }
}

/** For entry points: reads `.env`, or prints the one line saying what is wrong with it and exits. */
export function loadDotEnvOrExit(): void {
  try {
    loadDotEnv();
  } catch (error) {
    if (!(error instanceof DotEnvError)) throw error;
    console.error(`invalid configuration: ${error.message}`);
    process.exit(1);
  }
}
