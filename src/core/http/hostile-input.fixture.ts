/**
 * Inputs for the hostile-input test (hostile-input.test.ts): a seeded random source, a
 * generator of schema-valid values (so a mutation reaches the code behind validation), and the
 * malformed, hostile and boundary values each part of a request gets. Test-only.
 */

/** mulberry32: small, seeded, deterministic. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)],
    /** Up to n distinct elements, in a seeded order. */
    sample: <T>(list: readonly T[], n: number): T[] => {
      const copy = [...list];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j], copy[i]];
      }
      return copy.slice(0, n);
    },
  };
}
export type Rng = ReturnType<typeof rng>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Schema = Record<string, any>;

const STRING_CANDIDATES = ['abc', 'ABC', 'a', 'abc-123', 'abc_1', 'USD', 'a1b2c3d4', 'fuzz@example.com', 'https://example.com/x'];

/** A value the schema accepts (best effort): required properties only, smallest sizes. */
export function validValue(schema: Schema | undefined, depth = 0): unknown {
  if (!schema || depth > 8) return 'abc';
  if ('const' in schema) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) {
    const nonNull = variants.find((v: Schema) => v.type !== 'null') ?? variants[0];
    return validValue(nonNull, depth + 1);
  }
  if (Array.isArray(schema.allOf)) return validValue(Object.assign({}, ...schema.allOf), depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) out[key] = validValue(schema.properties?.[key], depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => validValue(schema.items, depth + 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return validString(schema);
  }
}

function validString(schema: Schema): string {
  if (schema.format === 'date-time') return new Date(Date.UTC(2030, 0, 1)).toISOString();
  if (schema.format === 'date') return '2030-01-01';
  if (schema.format === 'email') return 'fuzz@example.com';
  if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com/x';
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Infinity;
  const fits = (s: string) => s.length >= min && s.length <= max && (!schema.pattern || new RegExp(schema.pattern, 'u').test(s));
  const found = STRING_CANDIDATES.find(fits);
  if (found) return found;
  const padded = 'a'.repeat(Math.max(min, 1));
  return fits(padded) ? padded : 'abc';
}

/** Marker replaced by a raw `1e309` in the serialized body: JSON.parse turns it into Infinity. */
export const RAW_INFINITY = '__neptuno_raw_1e309__';

/** Values that replace one field of a JSON body (wrong types, boundaries, hostile text). */
export const hostileJsonValues: unknown[] = [
  null,
  true,
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  RAW_INFINITY,
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\uffff\ufffe',
  'x'.repeat(20_000),
  '9999-99-99',
  '-271821-04-20T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '0000-01-01T00:00:00Z',
  '1e309',
  'NaN',
  "' OR 1=1 --",
  '../../etc/passwd',
  '🦄'.repeat(50),
  [],
  [1, 'a', null],
  {},
  { __proto__: null, constructor: { prototype: { polluted: true } } },
  JSON.parse('{"__proto__": {"polluted": true}}'),
];

/** Whole bodies, as raw text with a content type. */
export const hostileRawBodies: Array<{ type: string; body: string | Buffer }> = [
  { type: 'application/json', body: '[' .repeat(10_000) + ']'.repeat(10_000) },
  { type: 'application/json', body: '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000) },
  { type: 'application/json', body: `{"x":${'['.repeat(200)}${']'.repeat(200)}}` },
  { type: 'application/json', body: '{"a":1' },
  { type: 'application/json', body: '' },
  { type: 'application/json', body: 'null' },
  { type: 'application/json', body: '"string"' },
  { type: 'application/json', body: '12' },
  { type: 'application/json', body: '[]' },
  { type: 'application/json', body: '{"__proto__":{"admin":true}}' },
  { type: 'application/json', body: '{"constructor":{"prototype":{"admin":true}}}' },
  { type: 'application/json', body: '{"a":"\\u0000"}' },
  { type: 'application/json', body: '{"a":"\\ud800"}' },
  { type: 'application/json', body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
  { type: 'application/json; charset=utf-16', body: '{}' },
  { type: 'text/plain', body: 'hello' },
  { type: 'application/x-www-form-urlencoded', body: 'a=1&b=%00' },
  { type: 'multipart/form-data; boundary=x', body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--' },
  { type: 'application/xml', body: '<a/>' },
];

/** Raw (already percent-encoded) values for query parameters and path segments. */
export const hostileUrlValues: string[] = [
  '%00',
  'a%00b',
  '%ED%A0%80', // a lone surrogate as (invalid) UTF-8
  '%FF%FE',
  '%',
  '%ZZ',
  '1e309',
  '-1e309',
  '1e308',
  '-1',
  '0',
  'NaN',
  'Infinity',
  '1.5',
  '9007199254740993',
  '',
  'x'.repeat(5_000),
  '9999-99-99',
  '-271821-04-20T00:00:00Z',
  '%2B275760-09-13T00:00:00.000Z',
  '0001-01-01',
  'true',
  'null',
  '%7B%7D',
  '..%2F..%2Fetc',
  '%F0%9F%A6%84',
  "'%20OR%201%3D1",
  '__proto__',
  'constructor',
];

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Cursors a client could forge: our encoding (base64url JSON) with wrong-typed or extreme values. */
export const forgedCursors: string[] = [
  'nope',
  b64('not json'),
  b64(null),
  b64({}),
  b64([]),
  b64(['x']),
  b64(['x', 'y']),
  b64(['x', 'y', 'z']),
  b64([-1, 'x']),
  b64([1e308, 'x']),
  b64(['9999-99-99', 'x']),
  b64(['-271821-04-20T00:00:00Z', 'x']),
  b64(['\u0000', '\u0000']),
  b64(['\ud800', 'x']),
  b64([1, 2]),
  b64([true, 'x']),
  b64([{ a: 1 }, 'x']),
  b64(['x'.repeat(300), 'x']),
  b64({ k: ['x'], v: 1 }),
  `${b64(['x', 'y'])}.forged-signature`,
];

/** Credentials a client could forge; `{name}` is replaced by the real session cookie name. */
export const forgedCredentials: Array<Record<string, string>> = [
  { cookie: '{session}=abc.\u00f1' + 'A'.repeat(42) + '=' },
  { cookie: '{session}=' + 'x'.repeat(32) + '.' + 'A'.repeat(43) + '=' },
  { cookie: '{session}=%E0%A4%A' },
  { cookie: '{session}=.' },
  { cookie: '{session}=a%00b.' + 'A'.repeat(43) + '=' },
  { cookie: '{guest}=v1.abc.\u00f1\u00f1\u00f1' },
  { cookie: '{guest}=v1..' + 'A'.repeat(43) },
  { cookie: '{guest}=v1.' + 'x'.repeat(4000) + '.AAAA' },
  { cookie: '{guest}="v1.abc"; {guest}=; {session}=' },
  { cookie: 'a=b; ; =; ;;=;' + '\u00ff'.repeat(10) },
  { authorization: 'Bearer' },
  { authorization: 'Bearer ' },
  { authorization: 'Bearer \u00f1\u00f1\u00f1' },
  { authorization: 'Bearer ' + 'A'.repeat(8000) },
  { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.' },
  { authorization: 'Bearer a.b.c' },
  { authorization: 'Bearer a%00b' },
  { authorization: 'Basic YTpi' },
  { authorization: 'bearer lowercase' },
  { 'x-api-key': 'npk_' + '\u00f1'.repeat(43) },
  { 'x-api-key': 'npk_' + 'A'.repeat(43) },
  { 'x-api-key': 'npk_' },
  { 'x-api-key': 'npk_%00' + 'A'.repeat(40) },
  { 'x-api-key': 'x'.repeat(5000) },
];

/** Other headers: language, request id, idempotency key, content type. */
export const hostileHeaders: Array<Record<string, string>> = [
  { 'accept-language': '*;q=NaN, es;q=1e309, en;q=-1' },
  { 'accept-language': 'xx-'.repeat(2000) },
  { 'x-request-id': '\u00f1'.repeat(200) },
  { 'idempotency-key': '' },
  { 'idempotency-key': 'k'.repeat(5000) },
  { 'idempotency-key': '\u00f1\u00f1' },
  { 'content-type': 'application/json; charset=latin1' },
  { origin: 'null' },
  { origin: 'https://evil.example' },
  { 'x-forwarded-for': '999.999.999.999, ::ffff:zz' },
];
