import { Value } from 'typebox/value';

/**
 * Validation of a configuration value against a TypeBox (JSON) schema, written as a walk over
 * the schema instead of one `Value.Errors` call because the configuration needs three things
 * TypeBox alone does not give: every issue at once (TypeBox buffers at most 8 by default, a
 * process-wide setting), one readable message per key instead of one per union branch, and
 * objects closed by default (a module schema that forgot `additionalProperties: false` still
 * rejects typos).
 */

export type Segment = string | number;

export interface RawIssue {
  path: Segment[];
  code: string;
  message: string;
}

// The schema is read as plain JSON Schema, which is what TypeBox 1.x types are.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = Record<string, any>;

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Key comparison used for env names and suggestions: case-insensitive, ignoring `_` and `-`. */
export const normalizeKey = (key: string) => key.toLowerCase().replace(/[_-]/g, '');

export const isObjectSchema = (s: Schema) => s.type === 'object' && isPlainObject(s.properties);
export const isRecordSchema = (s: Schema) => s.type === 'object' && !s.properties && isPlainObject(s.patternProperties);
export const isArraySchema = (s: Schema) => s.type === 'array' && isPlainObject(s.items);
/** Closed unless the schema says otherwise: a typo in a config key must never pass silently. */
const isOpen = (s: Schema) => s.additionalProperties === true || isPlainObject(s.additionalProperties);

/** `server.cors.origins[1]` */
export function formatPath(path: Segment[]): string {
  return path.reduce<string>(
    (out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg),
    '',
  );
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  null: 'null',
};

/** Human description of what a schema accepts: `an integer`, `"info"`, `a string or null`. */
export function describe(s: Schema): string {
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v: unknown) => JSON.stringify(v)).join(', ')}`;
  if (Array.isArray(s.anyOf)) return joinOr(s.anyOf.map(describe));
  if (typeof s.type === 'string') return TYPE_NAMES[s.type] ?? s.type;
  return 'a valid value';
}

const joinOr = (parts: string[]) =>
  parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;

function unionMessage(s: Schema): string {
  const variants: Schema[] = s.anyOf;
  if (variants.every((v) => 'const' in v || v.type === 'null')) {
    return `must be one of: ${variants.map((v) => ('const' in v ? String(v.const) : 'null')).join(', ')}`;
  }
  return `must be ${describe(s)}`;
}

/** Does the value have the JSON type this (non-union) schema expects? */
function sameKind(s: Schema, v: unknown): boolean {
  switch (s.type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isPlainObject(v);
    default:
      return false;
  }
}

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The closest known key, if any is close enough to be a likely typo. */
export function suggest(key: string, known: string[]): string | undefined {
  const n = normalizeKey(key);
  const exact = known.find((k) => normalizeKey(k) === n);
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = n.length <= 3 ? 1 : 2;
  for (const k of known) {
    const d = distance(n, normalizeKey(k));
    if (d <= bestDistance) [best, bestDistance] = [k, d - 1];
  }
  return best;
}

function unknownKey(path: Segment[], key: string, known: string[]): RawIssue {
  const hint = suggest(key, known);
  const tail = hint ? ` (did you mean "${hint}"?)` : known.length ? ` (allowed: ${known.join(', ')})` : '';
  return { path: [...path, key], code: 'unknown_key', message: `unknown key${tail}` };
}

/** Turns one TypeBox error (the first, the most specific one) into a readable issue. */
function fromTypeBoxError(e: { keyword: string; instancePath: string; params: Schema; message: string }, path: Segment[]): RawIssue {
  const sub = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const p = e.params;
  const messages: Record<string, () => string> = {
    type: () => `must be ${TYPE_NAMES[p.type] ?? p.type}`,
    minimum: () => `must be >= ${p.limit}`,
    maximum: () => `must be <= ${p.limit}`,
    exclusiveMinimum: () => `must be > ${p.limit}`,
    exclusiveMaximum: () => `must be < ${p.limit}`,
    minLength: () => `must be at least ${p.limit} characters long`,
    maxLength: () => `must be at most ${p.limit} characters long`,
    minItems: () => `must have at least ${p.limit} items`,
    maxItems: () => `must have at most ${p.limit} items`,
    pattern: () => `must match the pattern ${p.pattern}`,
    const: () => `must be ${JSON.stringify(p.allowedValue)}`,
    enum: () => `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`,
    format: () => `must be a valid ${p.format}`,
  };
  return { path: [...path, ...sub], code: 'invalid_value', message: messages[e.keyword]?.() ?? e.message };
}

function leaf(s: Schema, value: unknown, path: Segment[], out: RawIssue[]): void {
  if (Value.Check(s, value)) return;
  if (typeof s.errorMessage === 'string') {
    out.push({ path, code: 'invalid_value', message: s.errorMessage });
    return;
  }
  if (Array.isArray(s.anyOf)) {
    // A value of the right JSON type for exactly one branch is judged by that branch alone:
    // `redis.url: http://x` should say what is wrong with the string, not "string or null".
    const same = (s.anyOf as Schema[]).filter((v) => sameKind(v, value));
    if (same.length === 1 && !('const' in same[0])) return walk(same[0], value, path, out);
    out.push({ path, code: 'invalid_value', message: unionMessage(s) });
    return;
  }
  const [first] = Value.Errors(s, value);
  out.push(first ? fromTypeBoxError(first as never, path) : { path, code: 'invalid_value', message: `must be ${describe(s)}` });
}

function walk(s: Schema, value: unknown, path: Segment[], out: RawIssue[]): void {
  if (isObjectSchema(s)) {
    if (!isPlainObject(value)) return void out.push({ path, code: 'invalid_value', message: 'must be a mapping (key: value)' });
    const props: Record<string, Schema> = s.properties;
    const known = Object.keys(props);
    if (!isOpen(s)) for (const key of Object.keys(value)) if (!Object.hasOwn(props, key)) out.push(unknownKey(path, key, known));
    const required = new Set<string>(s.required ?? []);
    for (const [key, sub] of Object.entries(props)) {
      if (value[key] !== undefined) walk(sub, value[key], [...path, key], out);
      else if (required.has(key)) out.push({ path: [...path, key], code: 'missing_key', message: `is required (${describe(sub)})` });
    }
    return;
  }
  if (isRecordSchema(s)) {
    if (!isPlainObject(value)) return void out.push({ path, code: 'invalid_value', message: 'must be a mapping (key: value)' });
    const patterns = Object.entries(s.patternProperties as Record<string, Schema>).map(([p, sub]) => [new RegExp(p, 'u'), sub] as const);
    for (const [key, item] of Object.entries(value)) {
      const match = patterns.find(([re]) => re.test(key));
      if (match) walk(match[1], item, [...path, key], out);
      else if (!isOpen(s)) {
        const rule = patterns.map(([re]) => re.source).join(' or ');
        out.push({ path: [...path, key], code: 'invalid_key', message: `invalid name "${key}": must match ${rule}` });
      }
    }
    return;
  }
  if (isArraySchema(s)) {
    if (!Array.isArray(value)) return void out.push({ path, code: 'invalid_value', message: 'must be a list' });
    const own = Value.Errors(s, value).find((e) => e.instancePath === '');
    if (own) out.push(fromTypeBoxError(own as never, path));
    value.forEach((item, i) => walk(s.items, item, [...path, i], out));
    return;
  }
  leaf(s, value, path, out);
}

/** Every issue of `value` against `schema`, in document order of the schema. */
export function validateValue(schema: object, value: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  walk(schema as Schema, value, [], out);
  return out;
}

/**
 * `server:` with every child commented out parses as `server: null`; treat such an empty section
 * as absent so its defaults apply, instead of failing with "must be a mapping".
 */
export function dropEmptySections(schema: object, value: unknown): void {
  const s = schema as Schema;
  if (!isPlainObject(value)) return;
  const children: Array<[string, Schema | undefined]> = isObjectSchema(s)
    ? Object.keys(value).map((k) => [k, s.properties[k]])
    : isRecordSchema(s)
      ? Object.keys(value).map((k) => [k, Object.entries(s.patternProperties as Record<string, Schema>).find(([p]) => new RegExp(p, 'u').test(k))?.[1]])
      : [];
  for (const [key, sub] of children) {
    if (!sub || sub.type !== 'object') continue;
    if (value[key] === null) delete value[key];
    else dropEmptySections(sub, value[key]);
  }
}
