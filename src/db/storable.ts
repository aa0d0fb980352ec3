/**
 * Text and JSON as PostgreSQL stores them without complaint. The edges refuse bad text (src/wire/text.ts);
 * this is the floor under them, for the writes that must never fail for what a client sent: one
 * group commit carries many clients' work, and a single refused value would fail all of it and stop
 * the OMS. So nothing is refused here; what cannot be stored is replaced, and too long is cut.
 *
 * - NUL: text and jsonb refuse it (`invalid byte sequence for encoding "UTF8": 0x00`, `unsupported
 *   Unicode escape sequence`).
 * - an unpaired surrogate: jsonb refuses its escape; in text it would silently become U+FFFD anyway.
 * - text longer than its VARCHAR column: `value too long for type character varying(n)`.
 * - JSON nested deeper than PostgreSQL's stack allows (`stack depth limit exceeded`), cycles, bigints.
 */

const REPLACEMENT = '\ufffd';
// With the u flag, the surrogate range matches only an unpaired surrogate.
const UNSTORABLE = /\0|[\ud800-\udfff]/gu;

/** JSON nested deeper than this is cut (the value becomes null); the API takes 8 levels at most. */
const MAX_JSON_DEPTH = 32;

/** The text as a column stores it: NUL and unpaired surrogates replaced by U+FFFD, cut to `width` characters. */
export function storableText(value: string, width?: number): string {
  // Cut first: a cut through a surrogate pair leaves a lone half, which the replacement then catches.
  const cut = width !== undefined && value.length > width ? value.slice(0, width) : value;
  return cut.replace(UNSTORABLE, REPLACEMENT);
}

export function storableTextOrNull(value: string | null, width?: number): string | null {
  return value === null ? null : storableText(value, width);
}

/** JSON text that jsonb accepts whatever the value holds; null for none. */
export function storableJson(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return JSON.stringify(storableValue(value, 0)) ?? null;
}

function storableValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return storableText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_JSON_DEPTH) return null;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return storableValue(toJSON.call(value), depth + 1);
  if (Array.isArray(value)) return value.map((v) => storableValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[storableText(k)] = storableValue(v, depth + 1);
  return out;
}
