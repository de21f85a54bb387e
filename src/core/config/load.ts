import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { Type, type TObject, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { AppConfigSchema, type AppConfig } from './schema.js';
import { ConfigError, issue, type ConfigIssue } from './errors.js';
import { applyEnvOverrides } from './env.js';
import { productionFindings } from './checks.js';
import { dropEmptySections, formatPath, isPlainObject, validateValue, type RawIssue, type Segment } from './validate.js';

/** What the loader needs to know of a module: its name and the schema of its yaml section. */
export interface ModuleConfigSource {
  name: string;
  /** Schema of `modules.<name>` besides `enabled`, with defaults. None: the section takes only `enabled`. */
  config?: TObject;
  /** `enabled` when the section does not say (default true). */
  enabledByDefault?: boolean;
}

export interface LoadConfigOptions {
  /** Explicit file; a missing one is an error. Default: $NEPTUNO_CONFIG, else ./neptuno.yaml (may be absent). */
  file?: string;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Base for relative paths. Default process.cwd(). */
  cwd?: string;
  /**
   * The module registry. Each registered module is enabled unless its section says
   * `enabled: false`; a section for a module not listed here is an error. Left out entirely,
   * module sections are not checked beyond `enabled` (for tools that only read kernel keys).
   */
  modules?: ModuleConfigSource[];
  /**
   * false: return an unsafe production configuration instead of throwing, for `neptuno doctor`,
   * which reports those findings itself beside its own. Default true.
   */
  productionChecks?: boolean;
}

export interface LoadedConfig {
  config: AppConfig;
  /** Each module's section, validated, defaults applied, without `enabled` (see config.modules). */
  moduleConfigs: Record<string, unknown>;
  /** Absolute path of the file read; null when none was found (all defaults). */
  file: string | null;
  /** Names of the environment variables that overrode a key. */
  envOverrides: string[];
}

/** Reads neptuno.yaml, applies env overrides and defaults, validates; throws ConfigError listing every issue. */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.file ?? (env.NEPTUNO_CONFIG || undefined);
  const path = resolve(cwd, explicit ?? 'neptuno.yaml');
  const shown = displayName(cwd, path);
  const source = readSource(path, shown, explicit !== undefined);

  const schema = fullSchema(opts.modules);
  const value = source.value;
  dropEmptySections(schema, value);
  const overrides = applyEnvOverrides(value, schema, env);
  const publicUrlGiven = isPlainObject(value.server) && value.server.publicUrl !== undefined;
  try {
    Value.Default(schema, value);
  } catch {
    // TypeBox may trip over values of the wrong shape; validation below reports them properly.
  }

  const at = (segments: Segment[]): Partial<ConfigIssue> => {
    const dotted = formatPath(segments);
    for (const [key, name] of overrides.applied) {
      if (dotted === key || dotted.startsWith(`${key}.`) || dotted.startsWith(`${key}[`)) return { env: name };
    }
    return { file: shown, ...source.locate(segments) };
  };
  const toIssue = (raw: RawIssue) => issue(formatPath(raw.path), raw.code, raw.message, at(raw.path));

  const sections = isPlainObject(value.modules) ? value.modules : {};
  const found = validateValue(schema, value)
    .filter((raw) => !isDisabledModuleGap(raw, sections))
    .map((raw) => (isUnknownModule(raw, opts.modules) ? unknownModule(raw, opts.modules!) : raw));
  const issues = [...overrides.issues, ...found.map(toIssue)].sort(byPlace);
  if (issues.length) throw new ConfigError(issues);

  const { config, moduleConfigs } = split(value);
  // `PORT=3001 npm start` must serve (and trust, for cookie requests) http://localhost:3001, not
  // the default's :8000. Port 0 (a free port, tests) is only known after listening: default kept.
  if (!publicUrlGiven && config.server.port > 0) config.server.publicUrl = `http://localhost:${config.server.port}`;
  const unsafe = (opts.productionChecks === false ? [] : productionFindings(config)).map((f) => issue(f.path.join('.'), f.code, f.message, at(f.path)));
  if (unsafe.length) throw new ConfigError(unsafe);

  return { config, moduleConfigs, file: source.found ? path : null, envOverrides: [...new Set(overrides.applied.values())] };
}

/** Kernel schema with `modules` replaced by one closed section per registered module. */
function fullSchema(modules: ModuleConfigSource[] | undefined): TObject {
  const { modules: _loose, ...kernel } = AppConfigSchema.properties;
  const enabled = Type.Boolean({ default: true });
  let modulesSchema: TSchema;
  if (!modules) {
    modulesSchema = Type.Record(Type.String(), Type.Object({ enabled }, { additionalProperties: true, default: {} }), { default: {} });
  } else {
    const sections: Record<string, TSchema> = {};
    for (const mod of modules) {
      if (sections[mod.name]) throw new Error(`Module "${mod.name}" is registered twice`);
      const props = mod.config?.properties ?? {};
      if ('enabled' in props) throw new Error(`Module "${mod.name}": its config schema must not declare "enabled" (the kernel owns it)`);
      const open = (mod.config as { additionalProperties?: unknown } | undefined)?.additionalProperties ?? false;
      const on = mod.enabledByDefault === false ? Type.Boolean({ default: false }) : enabled;
      sections[mod.name] = Type.Object({ enabled: on, ...props }, { additionalProperties: open as boolean, default: {} });
    }
    modulesSchema = Type.Object(sections, { additionalProperties: false, default: {} });
  }
  return Type.Object({ ...kernel, modules: modulesSchema }, { additionalProperties: false });
}

/** A disabled module may leave out keys it would need when on: don't make people configure what they don't run. */
function isDisabledModuleGap(raw: RawIssue, sections: Record<string, unknown>): boolean {
  if (raw.code !== 'missing_key' || raw.path[0] !== 'modules' || raw.path.length < 3) return false;
  const section = sections[String(raw.path[1])];
  return isPlainObject(section) && section.enabled === false;
}

const isUnknownModule = (raw: RawIssue, modules: ModuleConfigSource[] | undefined) =>
  modules !== undefined && raw.code === 'unknown_key' && raw.path.length === 2 && raw.path[0] === 'modules';

function unknownModule(raw: RawIssue, modules: ModuleConfigSource[]): RawIssue {
  const names = modules.map((m) => m.name);
  const known = names.length ? `installed modules: ${names.join(', ')}` : 'no modules are installed';
  return { ...raw, code: 'unknown_module', message: `unknown module "${raw.path[1]}" (${known})` };
}

const DEFAULT_ROLES = (AppConfigSchema.properties.roles as { default?: unknown }).default as AppConfig['roles'];

/** Kernel config (modules reduced to `{ enabled }`) and each module's own keys. */
function split(value: Record<string, unknown>): Pick<LoadedConfig, 'config' | 'moduleConfigs'> {
  const { modules: sections = {}, ...kernel } = value as { modules?: Record<string, Record<string, unknown>> };
  const modules: AppConfig['modules'] = {};
  const moduleConfigs: Record<string, unknown> = {};
  for (const [name, { enabled, ...rest }] of Object.entries(sections)) {
    modules[name] = { enabled: enabled as boolean };
    moduleConfigs[name] = rest;
  }
  const config = { ...kernel, modules } as AppConfig;
  // Declaring a role adds it: the built-in `user` and `admin` stay unless redefined.
  config.roles = { ...DEFAULT_ROLES, ...config.roles };
  return { config, moduleConfigs };
}

/** Env issues first, then in file order, so the output reads top to bottom like the file. */
const byPlace = (a: ConfigIssue, b: ConfigIssue) =>
  Number(!a.env) - Number(!b.env) || (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);

function displayName(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

interface Source {
  found: boolean;
  value: Record<string, unknown>;
  /** Line and column (1-based) of the key at `path`, or of its nearest ancestor present in the file. */
  locate(path: Segment[]): { line?: number; column?: number };
}

function readSource(path: string, shown: string, explicit: boolean): Source {
  const none = (found: boolean): Source => ({ found, value: {}, locate: () => ({}) });
  const fail = (code: string, message: string, pos?: { line: number; col: number }): never => {
    throw new ConfigError([issue('', code, message, { file: shown, line: pos?.line ?? null, column: pos?.col ?? null })]);
  };

  if (!existsSync(path)) return explicit ? fail('file_not_found', 'file not found') : none(false);
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    fail('file_unreadable', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return issue('', 'yaml_syntax', `invalid YAML: ${e.message}`, { file: shown, line: pos.line, column: pos.col });
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    fail('yaml_syntax', `invalid YAML: ${(err as Error).message}`);
  }
  if (value === null || value === undefined) return none(true);
  if (!isPlainObject(value)) return fail('invalid_value', 'the file must be a mapping of sections (server:, database:, …)', { line: 1, col: 1 });

  const locate = (segments: Segment[]) => {
    const offset = offsetOf(doc, segments);
    if (offset === null) return {};
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return { found: true, value, locate };
}

/** Source offset of the key (or list item) at `segments`, falling back to the deepest ancestor found. */
function offsetOf(doc: Document, segments: Segment[]): number | null {
  let node: unknown = doc.contents;
  let offset: number | null = null;
  for (const seg of segments) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg];
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return offset;
}
