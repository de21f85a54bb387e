import { parse as parseYamlScalar } from 'yaml';
import { issue, type ConfigIssue } from './errors.js';
import { formatPath, isObjectSchema, isPlainObject, isRecordSchema, normalizeKey, suggest, type Segment } from './validate.js';

/**
 * Environment overrides. Platforms (Heroku, Fly, Render, Docker) hand configuration over as
 * environment variables, so every key of neptuno.yaml can be set that way:
 * - the usual names of the ecosystem (PORT, DATABASE_URL…), listed in ENV_ALIASES;
 * - `NEPTUNO_<SECTION>__<KEY>[__<SUBKEY>…]` for any key, segments matched case-insensitively
 *   ignoring `_` (TRUST_PROXY and TRUSTPROXY both reach trustProxy).
 * Generic names win over aliases when both are set. An empty variable counts as unset.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = Record<string, any>;

export interface EnvAlias {
  name: string;
  path: string[];
  /** Only these values override; any other value leaves the key alone. */
  accept?: readonly string[];
}

export const ENV_ALIASES: readonly EnvAlias[] = [
  { name: 'PORT', path: ['server', 'port'] },
  { name: 'HOST', path: ['server', 'host'] },
  { name: 'DATABASE_URL', path: ['database', 'url'] },
  { name: 'REDIS_URL', path: ['redis', 'url'] },
  { name: 'NEPTUNO_SECRET', path: ['secret'] },
  { name: 'NEPTUNO_ADMIN_TOKEN', path: ['admin', 'token'] },
  // Tools set NODE_ENV to many things (staging, ci…); only the three we know override `env`, so
  // an unusual value can never turn a production file into a development run.
  { name: 'NODE_ENV', path: ['env'], accept: ['production', 'development', 'test'] },
  { name: 'LOG_LEVEL', path: ['log', 'level'] },
  // Both names are common for the SMTP URL; MAIL_URL is applied last, so it wins when both are set.
  { name: 'SMTP_URL', path: ['mail', 'url'] },
  { name: 'MAIL_URL', path: ['mail', 'url'] },
  { name: 'STORAGE_URL', path: ['storage', 'url'] },
  { name: 'STORAGE_PUBLIC_URL', path: ['storage', 'publicUrl'] },
  { name: 'SENTRY_DSN', path: ['sentry', 'dsn'] },
  { name: 'SENTRY_ENVIRONMENT', path: ['sentry', 'environment'] },
  { name: 'SENTRY_RELEASE', path: ['sentry', 'release'] },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', path: ['tracing', 'endpoint'] },
  { name: 'OTEL_SERVICE_NAME', path: ['tracing', 'serviceName'] },
];

/** NEPTUNO_* variables that are not configuration keys. */
const NOT_OVERRIDES = new Set(['NEPTUNO_CONFIG']);
const PREFIX = 'NEPTUNO_';

export interface EnvOverrides {
  /** Dotted key path -> the variable that set it. */
  applied: Map<string, string>;
  /** Variables that name no key, or a key that cannot take a plain value. */
  issues: ConfigIssue[];
}

type Resolved = { ok: true; path: Segment[]; schema: Schema | undefined } | { ok: false; path: string; message: string };

/** Finds the key path a list of env segments names, following the schema and the values already there. */
function resolvePath(root: Schema, segments: string[], value: unknown): Resolved {
  let schema: Schema | undefined = root;
  let current = value;
  const path: Segment[] = [];
  for (const seg of segments) {
    if (!seg) return { ok: false, path: formatPath(path), message: 'empty key segment (two "__" in a row?)' };
    const existing = isPlainObject(current) ? Object.keys(current).find((k) => normalizeKey(k) === normalizeKey(seg)) : undefined;
    let key: string | undefined;
    if (schema && isObjectSchema(schema)) {
      const known: string[] = Object.keys(schema.properties);
      key = known.find((k) => normalizeKey(k) === normalizeKey(seg));
      if (key) schema = schema.properties[key];
      else if (schema.additionalProperties === true) [key, schema] = [existing ?? seg.toLowerCase(), undefined];
      else {
        const hint = suggest(seg, known);
        const where = formatPath([...path, seg.toLowerCase()]);
        return { ok: false, path: where, message: `unknown setting "${where}"${hint ? ` (did you mean "${formatPath([...path, hint])}"?)` : ''}` };
      }
    } else if (schema && isRecordSchema(schema)) {
      key = existing ?? seg.toLowerCase();
      const match = Object.entries(schema.patternProperties as Record<string, Schema>).find(([p]) => new RegExp(p, 'u').test(key!));
      if (!match) return { ok: false, path: formatPath([...path, key]), message: `invalid name "${key}"` };
      schema = match[1];
    } else if (schema === undefined && (current === undefined || isPlainObject(current))) {
      key = existing ?? seg.toLowerCase(); // a key the schema does not describe (open module section)
    } else {
      return { ok: false, path: formatPath(path), message: `"${formatPath(path)}" is a single value, it has no "${seg.toLowerCase()}" key` };
    }
    path.push(key);
    current = isPlainObject(current) ? current[key] : undefined;
  }
  return { ok: true, path, schema };
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

/**
 * Turns the variable's string into the type the schema wants at that key. A string that does
 * not fit is returned as is, so validation reports it (naming the variable) with the same
 * message a bad YAML value gets.
 */
export function coerce(raw: string, schema: Schema | undefined): unknown {
  if (!schema) {
    try {
      return parseYamlScalar(raw) as unknown;
    } catch {
      return raw;
    }
  }
  const text = raw.trim();
  if (Array.isArray(schema.anyOf)) {
    const variants = schema.anyOf as Schema[];
    const has = (type: string) => variants.some((v) => v.type === type);
    if (text === 'null' && has('null')) return null;
    if ((text === 'true' || text === 'false') && has('boolean')) return text === 'true';
    if (/^-?\d+$/.test(text) && has('integer')) return Number(text);
    if (text !== '' && Number.isFinite(Number(text)) && has('number')) return Number(text);
    return raw;
  }
  switch (schema.type) {
    case 'integer':
      return /^-?\d+$/.test(text) ? Number(text) : raw;
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? Number(text) : raw;
    case 'boolean':
      return BOOLEANS[text.toLowerCase()] ?? raw;
    case 'null':
      return text === 'null' ? null : raw;
    case 'array':
      if (text.startsWith('[')) return parseJson(raw);
      return text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
        .map((part) => coerce(part, schema.items as Schema));
    case 'object':
      return text.startsWith('{') ? parseJson(raw) : raw;
    default:
      return raw;
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Writes `value` at `path`, creating missing sections. False when a section in the way is not a mapping. */
function setAt(target: Record<string, unknown>, path: Segment[], value: unknown): boolean {
  let node: Record<string, unknown> = target;
  for (const seg of path.slice(0, -1)) {
    const key = String(seg);
    if (node[key] === undefined || node[key] === null) node[key] = {};
    if (!isPlainObject(node[key])) return false;
    node = node[key] as Record<string, unknown>;
  }
  node[String(path[path.length - 1])] = value;
  return true;
}

/** Applies every override found in `env` to `target` (mutated), following `schema`. */
export function applyEnvOverrides(target: Record<string, unknown>, schema: object, env: NodeJS.ProcessEnv): EnvOverrides {
  const applied = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  const apply = (name: string, segments: string[], raw: string) => {
    const found = resolvePath(schema as Schema, segments, target);
    if (!found.ok) return void issues.push(issue(found.path, 'unknown_env_key', found.message, { env: name }));
    if (setAt(target, found.path, coerce(raw, found.schema))) applied.set(formatPath(found.path), name);
  };

  for (const alias of ENV_ALIASES) {
    const raw = env[alias.name];
    if (!raw || (alias.accept && !alias.accept.includes(raw.trim()))) continue;
    apply(alias.name, alias.path, raw);
  }

  const aliasNames = new Set(ENV_ALIASES.map((a) => a.name));
  const generic = Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && !aliasNames.has(name) && !NOT_OVERRIDES.has(name) && env[name])
    .sort();
  for (const name of generic) {
    const segments = name.slice(PREFIX.length).split('__');
    // Without `__` a name is ours only if it names a top-level key (NEPTUNO_DATA_DIR); others,
    // like NEPTUNO_TEST_DATABASE_URL, belong to tooling and are left alone.
    if (segments.length === 1 && !resolvePath(schema as Schema, segments, target).ok) continue;
    apply(name, segments, env[name]!);
  }
  return { applied, issues };
}
