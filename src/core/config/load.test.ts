import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { loadConfig, type LoadConfigOptions } from './load.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { AppConfigSchema } from './schema.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'neptuno-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const guestbook = {
  name: 'guestbook',
  config: Type.Object({
    maxLength: Type.Integer({ minimum: 1, default: 500 }),
    moderation: Type.Object({ enabled: Type.Boolean({ default: false }), words: Type.Array(Type.String(), { default: [] }) }, { default: {} }),
  }),
};
const modules = [guestbook, { name: 'users' }];

/** Writes neptuno.yaml in the temp dir and loads it with no environment at all. */
function load(yaml: string | null, opts: Partial<LoadConfigOptions> = {}) {
  if (yaml !== null) writeFileSync(join(dir, 'neptuno.yaml'), yaml);
  return loadConfig({ cwd: dir, env: {}, modules, ...opts });
}

function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const defaults = Value.Default(AppConfigSchema, {});

describe('loadConfig: file', () => {
  it('gives every default when there is no file', () => {
    const loaded = load(null);
    expect(loaded.file).toBeNull();
    expect(loaded.config).toEqual({ ...(defaults as object), modules: { guestbook: { enabled: true }, users: { enabled: true } } });
    expect(loaded.config.server.port).toBe(8000);
    expect(loaded.config.database.url).toBe('sqlite:./data/neptuno.db');
    expect(loaded.moduleConfigs.guestbook).toEqual({ maxLength: 500, moderation: { enabled: false, words: [] } });
    expect(loaded.moduleConfigs.users).toEqual({});
  });

  it('treats an empty file, a comments-only file and empty sections as defaults', () => {
    expect(load('').config.server.port).toBe(8000);
    expect(load('# nothing yet\n').config.server.port).toBe(8000);
    const loaded = load('server:\n  # port: 1\nmodules:\n');
    expect(loaded.file).toBe(join(dir, 'neptuno.yaml'));
    // Loopback unless HOST (or server.host) says otherwise: development is not on the network.
    expect(loaded.config.server.host).toBe('127.0.0.1');
    expect(loaded.config.modules.guestbook.enabled).toBe(true);
  });

  it('reads a full valid file', () => {
    const loaded = load(`
env: production
server:
  host: 127.0.0.1
  port: 9000
  publicUrl: https://api.example.com
  trustProxy: 1
  bodyLimit: 2048
  requestTimeoutMs: 0
  cors:
    origins: [https://www.example.com]
    credentials: true
database:
  url: postgres://app:pw@db:5432/app
  poolSize: 5
redis:
  url: redis://cache:6379
  prefix: "camp:"
secret: ${'s'.repeat(40)}
dataDir: /var/lib/neptuno
admin:
  token: ${'t'.repeat(32)}
log:
  level: warn
i18n:
  defaultLocale: en
jobs:
  concurrency: 0
  pollIntervalMs: 100
  visibilityTimeoutMs: 5000
roles:
  editor:
    permissions: [posts.write]
moduleFiles: [./my-module.ts]
modules:
  guestbook:
    enabled: false
    maxLength: 80
    moderation:
      words: [spam]
`);
    const c = loaded.config;
    expect(c.env).toBe('production');
    expect(c.server).toEqual({
      host: '127.0.0.1',
      port: 9000,
      publicUrl: 'https://api.example.com',
      trustProxy: 1,
      bodyLimit: 2048,
      requestTimeoutMs: 0,
      shutdownTimeoutMs: 10_000,
      docs: 'auto',
      cors: { origins: ['https://www.example.com'], credentials: true },
    });
    expect(c.database).toEqual({ url: 'postgres://app:pw@db:5432/app', poolSize: 5, transactionTimeoutMs: 30_000, slowStatementMs: 500 });
    expect(c.redis).toEqual({ url: 'redis://cache:6379', prefix: 'camp:' });
    expect(c.secret).toBe('s'.repeat(40));
    expect(c.dataDir).toBe('/var/lib/neptuno');
    expect(c.admin.token).toBe('t'.repeat(32));
    expect(c.log.level).toBe('warn');
    expect(c.i18n.defaultLocale).toBe('en');
    expect(c.jobs).toEqual({ concurrency: 0, pollIntervalMs: 100, visibilityTimeoutMs: 5000 });
    // Declaring a role adds it; the built-in ones stay.
    expect(c.roles).toEqual({ user: { permissions: [] }, admin: { permissions: ['*'] }, editor: { permissions: ['posts.write'] } });
    expect(c.moduleFiles).toEqual(['./my-module.ts']);
    expect(c.modules).toEqual({ guestbook: { enabled: false }, users: { enabled: true } });
    expect(loaded.moduleConfigs.guestbook).toEqual({ maxLength: 80, moderation: { enabled: false, words: ['spam'] } });
  });

  it('reads an explicit file, or the one NEPTUNO_CONFIG names', () => {
    writeFileSync(join(dir, 'other.yaml'), 'server:\n  port: 7001\n');
    expect(load(null, { file: 'other.yaml' }).config.server.port).toBe(7001);
    const viaEnv = load(null, { env: { NEPTUNO_CONFIG: join(dir, 'other.yaml') } });
    expect(viaEnv.config.server.port).toBe(7001);
    expect(viaEnv.file).toBe(join(dir, 'other.yaml'));
  });

  it('fails when an explicitly given file is missing', () => {
    const [issue] = issuesOf(() => load(null, { file: 'nope.yaml' }));
    expect(issue).toMatchObject({ file: 'nope.yaml', code: 'file_not_found' });
    expect(issuesOf(() => load(null, { env: { NEPTUNO_CONFIG: 'gone.yaml' } }))[0].code).toBe('file_not_found');
  });
});

describe('loadConfig: errors point at file, line and key', () => {
  it('reports bad YAML syntax with its line', () => {
    const issues = issuesOf(() => load('server:\n  port: 8000\n  cors:\n    origins: [a, b\nlog:\n  level: info\n'));
    expect(issues[0]).toMatchObject({ file: 'neptuno.yaml', code: 'yaml_syntax', line: 5 });
    expect(new ConfigError(issues).format()).toMatch(/^neptuno\.yaml:5:\d+: invalid YAML: /);
  });

  it('reports duplicate keys and tabs as syntax errors', () => {
    expect(issuesOf(() => load('server:\n  port: 1\n  port: 2\n'))[0]).toMatchObject({ code: 'yaml_syntax', line: 3, column: 3 });
    expect(issuesOf(() => load('server:\n\tport: 1\n'))[0]).toMatchObject({ code: 'yaml_syntax', line: 2 });
  });

  it('refuses a file that is not a mapping', () => {
    expect(issuesOf(() => load('- 1\n- 2\n'))[0]).toMatchObject({ line: 1, code: 'invalid_value' });
  });

  it('reports an unknown key with its line, path and a suggestion', () => {
    const issues = issuesOf(() => load('server:\n  host: 127.0.0.1\n  prot: 80\nlogging: {}\n'));
    expect(issues).toEqual([
      expect.objectContaining({ file: 'neptuno.yaml', line: 3, column: 3, path: 'server.prot', code: 'unknown_key' }),
      expect.objectContaining({ line: 4, column: 1, path: 'logging', code: 'unknown_key' }),
    ]);
    expect(issues[0].message).toContain('did you mean "port"');
    expect(new ConfigError(issues).lines()[0]).toBe('neptuno.yaml:3:3 server.prot: unknown key (did you mean "port"?)');
  });

  it('reports wrong types with line and path, all at once', () => {
    const issues = issuesOf(() =>
      load(`server:
  port: "8000"
  cors:
    origins:
      - https://a.com
      - 3
log:
  level: loud
env: staging
jobs:
  concurrency: -1
database:
  url: mysql://x
redis:
  url: http://x
roles:
  Editors: {}
`),
    );
    const lines = new ConfigError(issues).lines();
    expect(lines).toEqual([
      'neptuno.yaml:2:3 server.port: must be an integer',
      'neptuno.yaml:6:9 server.cors.origins[1]: must be a string',
      'neptuno.yaml:8:3 log.level: must be one of: fatal, error, warn, info, debug, trace, silent',
      'neptuno.yaml:9:1 env: must be one of: development, production, test',
      'neptuno.yaml:11:3 jobs.concurrency: must be >= 0',
      'neptuno.yaml:13:3 database.url: must start with sqlite: (e.g. sqlite:./data/neptuno.db) or postgres://',
      'neptuno.yaml:15:3 redis.url: must start with redis:// or rediss://',
      'neptuno.yaml:17:3 roles.Editors: invalid name "Editors": must match ^[a-z][a-z0-9_-]*$',
    ]);
  });

  it('says what a section must be when given a scalar', () => {
    const [issue] = issuesOf(() => load('server: 8000\n'));
    expect(issue).toMatchObject({ path: 'server', line: 1, message: 'must be a mapping (key: value)' });
  });

  it('refuses a section for a module that is not installed', () => {
    const [issue] = issuesOf(() => load('modules:\n  guestbook: {}\n  shop:\n    enabled: true\n'));
    expect(issue).toMatchObject({ path: 'modules.shop', line: 3, column: 3, code: 'unknown_module' });
    expect(issue.message).toBe('unknown module "shop" (installed modules: guestbook, users)');
  });

  it('validates a module section against its schema', () => {
    const issues = issuesOf(() => load('modules:\n  guestbook:\n    enabled: yes\n    maxLength: 0\n    moderaton: {}\n'));
    expect(new ConfigError(issues).lines()).toEqual([
      'neptuno.yaml:3:5 modules.guestbook.enabled: must be true or false',
      'neptuno.yaml:4:5 modules.guestbook.maxLength: must be >= 1',
      'neptuno.yaml:5:5 modules.guestbook.moderaton: unknown key (did you mean "moderation"?)',
    ]);
  });

  it('closes module sections even when their schema forgot additionalProperties: false', () => {
    const [issue] = issuesOf(() => load('modules:\n  users:\n    signup: true\n'));
    expect(issue).toMatchObject({ path: 'modules.users.signup', code: 'unknown_key', line: 3 });
  });

  it('requires keys without defaults only from enabled modules', () => {
    const shop = { name: 'shop', config: Type.Object({ currency: Type.String() }) };
    const [issue] = issuesOf(() => load('modules:\n  shop: {}\n', { modules: [shop] }));
    expect(issue).toMatchObject({ path: 'modules.shop.currency', code: 'missing_key', line: 2 });
    const off = load('modules:\n  shop:\n    enabled: false\n', { modules: [shop] });
    expect(off.config.modules.shop.enabled).toBe(false);
    expect(load('modules:\n  shop: { currency: EUR }\n', { modules: [shop] }).moduleConfigs.shop).toEqual({ currency: 'EUR' });
  });

  it('leaves a module that ships off (enabledByDefault: false) off until its section turns it on', () => {
    const shop = { name: 'shop', enabledByDefault: false, config: Type.Object({ currency: Type.String() }) };
    expect(load(null, { modules: [shop] }).config.modules.shop.enabled).toBe(false);
    expect(load('modules:\n  shop: {}\n', { modules: [shop] }).config.modules.shop.enabled).toBe(false);
    const [issue] = issuesOf(() => load('modules:\n  shop: { enabled: true }\n', { modules: [shop] }));
    expect(issue).toMatchObject({ path: 'modules.shop.currency', code: 'missing_key' });
    expect(load('modules:\n  shop: { enabled: true, currency: ARS }\n', { modules: [shop] }).config.modules.shop.enabled).toBe(true);
  });

  it('without a module registry, keeps module sections and checks only `enabled`', () => {
    const loaded = load('modules:\n  anything:\n    enabled: false\n    extra: 1\n', { modules: undefined });
    expect(loaded.config.modules).toEqual({ anything: { enabled: false } });
    expect(loaded.moduleConfigs.anything).toEqual({ extra: 1 });
    expect(issuesOf(() => load('modules:\n  x:\n    enabled: nope\n', { modules: undefined }))[0].path).toBe('modules.x.enabled');
  });

  it('refuses a module schema that declares `enabled` itself, or a module registered twice', () => {
    const bad = { name: 'bad', config: Type.Object({ enabled: Type.Boolean() }) };
    expect(() => load(null, { modules: [bad] })).toThrow(/must not declare "enabled"/);
    expect(() => load(null, { modules: [guestbook, guestbook] })).toThrow(/registered twice/);
  });
});

describe('loadConfig: production checks', () => {
  const secret = `secret: ${'x'.repeat(48)}\n`;

  it('refuses CORS "*" together with credentials', () => {
    const [issue] = issuesOf(() => load(`env: production\n${secret}server:\n  cors:\n    origins: ["*"]\n`));
    expect(issue).toMatchObject({ path: 'server.cors.origins', code: 'cors_wildcard_with_credentials', line: 5 });
    expect(load(`env: production\n${secret}server:\n  cors:\n    origins: ["*"]\n    credentials: false\n`).config.env).toBe('production');
    expect(load('server:\n  cors:\n    origins: ["*"]\n').config.env).toBe('development');
  });

  it('names the env variable when the unsafe value came from there', () => {
    const env = { NODE_ENV: 'production', NEPTUNO_SECRET: 'x'.repeat(40), NEPTUNO_SERVER__CORS__ORIGINS: '*' };
    const [issue] = issuesOf(() => load(null, { env }));
    expect(issue).toMatchObject({ env: 'NEPTUNO_SERVER__CORS__ORIGINS', code: 'cors_wildcard_with_credentials' });
  });

  it('refuses a short admin token', () => {
    const [issue] = issuesOf(() => load(`env: production\n${secret}admin:\n  token: tok-abc123\n`));
    expect(issue).toMatchObject({ path: 'admin.token', code: 'admin_token_too_short', line: 4 });
    expect(issue.message).not.toContain('tok-abc123');
  });

  it('refuses a short metrics token', () => {
    const [issue] = issuesOf(() => load(`env: production\n${secret}metrics:\n  token: scrape-me\n`));
    expect(issue).toMatchObject({ path: 'metrics.token', code: 'metrics_token_too_short', line: 4 });
    expect(issue.message).not.toContain('scrape-me');
  });

  it('refuses a missing or short secret, telling how to generate one', () => {
    const [missing] = issuesOf(() => load('env: production\n'));
    expect(missing).toMatchObject({ path: 'secret', code: 'secret_missing' });
    expect(missing.message).toContain('openssl rand -base64 48');
    const [short] = issuesOf(() => load(null, { env: { NODE_ENV: 'production', NEPTUNO_SECRET: 'too-short' } }));
    expect(short).toMatchObject({ env: 'NEPTUNO_SECRET', code: 'secret_too_short' });
    expect(short.message).not.toContain('too-short');
  });
});
