/**
 * What never leaves the process in an error report (docs/operations.md, "What is scrubbed").
 * Applied to the whole event just before it is sent (Sentry's beforeSend), whatever put it there:
 *
 * - keys: any field whose name looks like a secret or personal data has its value replaced,
 *   at any depth (headers, contexts, extra, tags, breadcrumbs);
 * - values: emails, bearer/basic credentials, JWTs, URL passwords and long secrets inside any
 *   string (exception messages included: a database error may quote the row it refused);
 * - request: only method, route template, path and a few harmless headers are attached by the
 *   kernel at all — never the body, the query string, cookies or Authorization.
 */
export const SCRUBBED_KEYS =
  /pass(word|wd|phrase)?|secret|token|auth|cookie|session|csrf|xsrf|api[-_]?key|private|credential|e-?mail|phone|mobile|card|cvc|cvv|iban|account[-_]?number|ssn|dni|signature|otp|\bpin\b|body|payload|address|birth/i;

export const REDACTED = '[redacted]';

const VALUE_PATTERNS: Array<[RegExp, string]> = [
  // key=value and key: value inside text (log-style messages, query strings).
  [/\b(pass(?:word|wd)?|secret|token|api[-_]?key|authorization|cookie|session)(["']?\s*[=:]\s*["']?)[^\s&"',;]+/gi, '$1$2[redacted]'],
  // user:password@ in URLs (DSNs, database and Redis URLs).
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi, '$1[redacted]@'],
  [/\b[\w.!#$%&'*+/=?^`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+\b/gi, '[email]'],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[jwt]'],
  // Provider-style secrets: sk_live_…, whsec_…, long random tokens.
  [/\b(sk|rk|pk|whsec|xox[abp])_[A-Za-z0-9_]{8,}/g, '[secret]'],
  [/\b[A-Za-z0-9_-]{40,}\b/g, '[secret]'],
];

/** A string with the personal data and credentials it may contain replaced. */
export function scrubText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of VALUE_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Keys whose values are structural (stack frames, ids Sentry needs): never key-scrubbed. */
const KEEP = new Set(['event_id', 'trace_id', 'span_id', 'parent_span_id', 'filename', 'abs_path', 'module', 'function', 'type', 'mechanism']);

/** Deep copy of `value` with scrubbed keys and strings; cycles and depth bounded. */
export function scrubValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 12 || seen.has(value)) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = !KEEP.has(key) && SCRUBBED_KEYS.test(key) && v !== null && v !== undefined && v !== '' ? REDACTED : scrubValue(v, depth + 1, seen);
  }
  return out;
}

/** The Sentry event as sent: everything scrubbed; the user reduced to an id. */
export function scrubEvent<E extends { user?: { id?: string | number } & Record<string, unknown> }>(event: E): E {
  const out = scrubValue(event) as E;
  if (event.user) out.user = event.user.id === undefined ? undefined : { id: event.user.id };
  return out;
}
