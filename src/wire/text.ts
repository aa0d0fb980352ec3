import { z } from 'zod';

/**
 * Text that cannot hurt: the one string type of every input (REST bodies, query strings and path
 * parameters, feed frames, Slack command text). Besides the field's length it refuses what no name,
 * id or note needs and what breaks whatever stores or shows the text:
 *
 * - NUL and the other C0 and C1 control characters, and DEL: PostgreSQL refuses NUL in text and in
 *   jsonb, and terminals and logs act on the others. Tab and line breaks are allowed in free text only.
 * - unpaired UTF-16 surrogates: not Unicode text at all (jsonb refuses them, UTF-8 cannot hold them).
 * - the bidirectional override and isolate controls (U+202A-U+202E, U+2066-U+2069): they make a name
 *   display as another one.
 *
 * Valid text of any script, emoji included, passes untouched.
 */

export interface TextRules {
  /** The longest accepted, in UTF-16 code units (what JavaScript and JSON count; never fewer characters than a VARCHAR counts). */
  readonly max: number;
  /** The shortest accepted (0 by default); with `required`, the message for less. */
  readonly min?: number;
  readonly required?: string;
  /** Free text: tab and line breaks are allowed. */
  readonly freeText?: boolean;
  /** Leading and trailing white space is dropped before the checks of length and form. */
  readonly trim?: boolean;
  /** The form the text must have once it is clean text, with the message for any other. */
  readonly pattern?: { readonly regex: RegExp; readonly message: string };
}

// With the u flag a surrogate range matches only an unpaired surrogate: a pair is one code point.
const LINE = /[\0-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;
const FREE = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;

const hex = (c: string): string => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** What is wrong with the characters of a text, or null when it is clean. */
export function textProblem(value: string, freeText = false): string | null {
  const m = (freeText ? FREE : LINE).exec(value);
  if (m === null) return null;
  const c = m[0];
  const at = `${hex(c)} at index ${m.index}`;
  const code = c.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return `holds an unpaired UTF-16 surrogate (${at}): not valid Unicode text`;
  if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) {
    return `holds a bidirectional override or isolate control (${at}), which can make text display as other text`;
  }
  if (c === '\t' || c === '\n' || c === '\r' || code === 0x2028 || code === 0x2029) return `holds a tab or line break (${at}): this field is one line`;
  return `holds a control character (${at})`;
}

export const tooLong = (length: number, max: number): string => `is ${length} characters long; at most ${max} are allowed`;

/**
 * The zod schema of one text field. It reports one problem per field, the first of: length, the
 * characters, the form. Its JSON schema (OpenAPI) carries the length bounds and the form.
 */
export function text(rules: TextRules): z.ZodString {
  const { max, min = 0, freeText = false, pattern } = rules;
  let s = z.string();
  if (rules.trim) s = s.trim();
  s = s.max(max, { error: (issue) => tooLong(String(issue.input).length, max) });
  if (min > 0) {
    s = s.min(min, {
      error: (issue) => rules.required ?? (min === 1 ? 'must not be empty' : `is ${String(issue.input).length} characters long; at least ${min} are needed`),
    });
  }
  const checked = s.superRefine((value, ctx) => {
    if (value.length > max || value.length < min) return;
    const problem = textProblem(value, freeText);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: value });
    else if (pattern && !pattern.regex.test(value)) ctx.addIssue({ code: 'custom', message: pattern.message, input: value });
  });
  return pattern ? checked.meta({ pattern: pattern.regex.source }) : checked;
}

/** How deep a free-form JSON input (an order's origin) may nest, and how long its keys and strings may be. */
export interface JsonObjectRules {
  readonly depth: number;
  readonly keyMax: number;
  readonly stringMax: number;
}

/**
 * A free-form JSON object whose every key and string is clean text (strings may be free text), nested
 * at most `depth` deep. A problem names the path to the value (`origin.slack.user`), or to the object
 * holding a bad key.
 */
export function jsonObject(rules: JsonObjectRules) {
  return z.record(z.string(), z.unknown()).superRefine((root, ctx) => {
    const walk = (value: unknown, path: (string | number)[], depth: number): void => {
      if (typeof value === 'string') {
        const problem = value.length > rules.stringMax ? tooLong(value.length, rules.stringMax) : textProblem(value, true);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, path });
        return;
      }
      if (typeof value !== 'object' || value === null) return;
      if (depth > rules.depth) {
        ctx.addIssue({ code: 'custom', message: `nests deeper than ${rules.depth} levels`, path });
        return;
      }
      if (Array.isArray(value)) {
        value.forEach((v, i) => walk(v, [...path, i], depth + 1));
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        const problem = k.length > rules.keyMax ? tooLong(k.length, rules.keyMax) : textProblem(k);
        if (problem !== null) {
          ctx.addIssue({ code: 'custom', message: `a key ${problem}`, path });
          continue;
        }
        walk(v, [...path, k], depth + 1);
      }
    };
    walk(root, [], 1);
  });
}
