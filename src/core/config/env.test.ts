import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { loadConfig } from './load.js';
import { ConfigError, type ConfigIssue } from './errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'neptuno-env-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const modules = [
  { name: 'guestbook', config: Type.Object({ maxLength: Type.Integer({ minimum: 1, default: 500 }), bannedWords: Type.Array(Type.String(), { default: [] }) }) },
  { name: 'email-verify' },
];

function load(env: NodeJS.ProcessEnv, yaml?: string) {
  if (yaml !== undefined) writeFileSync(join(dir, 'neptuno.yaml'), yaml);
  return loadConfig({ cwd: dir, env, modules });
}

function issuesOf(env: NodeJS.ProcessEnv, yaml?: string): ConfigIssue[] {
  try {
    load(env, yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('env overrides: the usual names', () => {
  it('maps PORT, HOST, DATABASE_URL, REDIS_URL, NEPTUNO_SECRET, NEPTUNO_ADMIN_TOKEN, LOG_LEVEL', () => {
    const { config, envOverrides } = load(
      {
        PORT: '3000',
        HOST: '127.0.0.1',
        DATABASE_URL: 'postgres://u:p@db/app',
        REDIS_URL: 'redis://cache:6379',
        NEPTUNO_SECRET: 'a'.repeat(40),
        NEPTUNO_ADMIN_TOKEN: 'b'.repeat(40),
        LOG_LEVEL: 'debug',
      },
      'server:\n  port: 8000\n',
    );
    expect(config.server.port).toBe(3000);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.database.url).toBe('postgres://u:p@db/app');
    expect(config.redis.url).toBe('redis://cache:6379');
    expect(config.secret).toBe('a'.repeat(40));
    expect(config.admin.token).toBe('b'.repeat(40));
    expect(config.log.level).toBe('debug');
    expect(envOverrides.sort()).toEqual(['DATABASE_URL', 'HOST', 'LOG_LEVEL', 'NEPTUNO_ADMIN_TOKEN', 'NEPTUNO_SECRET', 'PORT', 'REDIS_URL']);
  });

  it('accepts sqlite: database URLs', () => {
    expect(load({ DATABASE_URL: 'sqlite:/tmp/x.db' }).config.database.url).toBe('sqlite:/tmp/x.db');
  });

  it('takes NODE_ENV only when it is production, development or test', () => {
    expect(load({ NODE_ENV: 'test' }).config.env).toBe('test');
    expect(load({ NODE_ENV: 'development' }, 'env: test\n').config.env).toBe('development');
    expect(load({ NODE_ENV: 'staging' }, '').config.env).toBe('development');
    // An unusual NODE_ENV never downgrades a production file.
    expect(() => load({ NODE_ENV: 'staging' }, 'env: production\n')).toThrow(/secret/);
  });

  it('makes server.publicUrl follow the port unless it is set', () => {
    expect(load({}).config.server.publicUrl).toBe('http://localhost:8000');
    expect(load({ PORT: '3001' }).config.server.publicUrl).toBe('http://localhost:3001');
    expect(load({}, 'server:\n  port: 9100\n').config.server.publicUrl).toBe('http://localhost:9100');
    expect(load({ PORT: '3001' }, 'server:\n  publicUrl: https://api.example.com\n').config.server.publicUrl).toBe('https://api.example.com');
    expect(load({ PORT: '3001', NEPTUNO_SERVER__PUBLIC_URL: 'https://x.example.com' }).config.server.publicUrl).toBe('https://x.example.com');
  });

  it('treats an empty variable as unset', () => {
    expect(load({ PORT: '', NEPTUNO_JOBS__CONCURRENCY: '' }).config.server.port).toBe(8000);
  });
});

describe('env overrides: NEPTUNO_<SECTION>__<KEY>', () => {
  it('sets nested keys with coercion by schema type', () => {
    const { config, moduleConfigs } = load({
      NEPTUNO_JOBS__CONCURRENCY: '2',
      NEPTUNO_SERVER__CORS__ORIGINS: 'https://a.com, https://b.com',
      NEPTUNO_SERVER__CORS__CREDENTIALS: '0',
      NEPTUNO_MODULES__GUESTBOOK__ENABLED: 'false',
      NEPTUNO_MODULES__GUESTBOOK__MAX_LENGTH: '80',
      NEPTUNO_MODULES__GUESTBOOK__BANNED_WORDS: 'spam,eggs',
      NEPTUNO_REDIS__URL: 'null',
      NEPTUNO_DATA_DIR: '/srv/data',
    });
    expect(config.jobs.concurrency).toBe(2);
    expect(config.server.cors).toEqual({ origins: ['https://a.com', 'https://b.com'], credentials: false });
    expect(config.modules.guestbook.enabled).toBe(false);
    expect(moduleConfigs.guestbook).toEqual({ maxLength: 80, bannedWords: ['spam', 'eggs'] });
    expect(config.redis.url).toBeNull();
    expect(config.dataDir).toBe('/srv/data');
  });

  it('matches segments case-insensitively, ignoring underscores', () => {
    expect(load({ NEPTUNO_SERVER__TRUST_PROXY: 'true' }).config.server.trustProxy).toBe(true);
    expect(load({ NEPTUNO_SERVER__TRUSTPROXY: '2' }).config.server.trustProxy).toBe(2);
    expect(load({ NEPTUNO_Server__TrustProxy: '3' }).config.server.trustProxy).toBe(3);
    expect(load({ NEPTUNO_SERVER__TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).config.server.trustProxy).toBe('10.0.0.0/8,127.0.0.1');
    expect(load({ NEPTUNO_MODULES__EMAIL_VERIFY__ENABLED: '0' }).config.modules['email-verify'].enabled).toBe(false);
  });

  it('accepts booleans as true/false/1/0 and lists as JSON too', () => {
    expect(load({ NEPTUNO_SERVER__CORS__CREDENTIALS: 'TRUE' }).config.server.cors.credentials).toBe(true);
    expect(load({ NEPTUNO_SERVER__CORS__CREDENTIALS: '1' }).config.server.cors.credentials).toBe(true);
    expect(load({ NEPTUNO_SERVER__CORS__ORIGINS: '["https://a.com"]' }).config.server.cors.origins).toEqual(['https://a.com']);
  });

  it('reaches record keys such as roles', () => {
    const { config } = load({ NEPTUNO_ROLES__EDITOR__PERMISSIONS: 'posts.write,posts.read' });
    expect(config.roles.editor).toEqual({ permissions: ['posts.write', 'posts.read'] });
    expect(config.roles.admin).toEqual({ permissions: ['*'] });
  });

  it('wins over the usual name and over the file', () => {
    const { config, envOverrides } = load({ PORT: '3000', NEPTUNO_SERVER__PORT: '4000' }, 'server:\n  port: 5000\n');
    expect(config.server.port).toBe(4000);
    expect(envOverrides).toEqual(['NEPTUNO_SERVER__PORT']);
  });

  it('ignores NEPTUNO_CONFIG and NEPTUNO_* names that are not config keys', () => {
    writeFileSync(join(dir, 'neptuno.yaml'), '');
    const { envOverrides } = loadConfig({
      cwd: dir,
      modules,
      env: { NEPTUNO_CONFIG: join(dir, 'neptuno.yaml'), NEPTUNO_TEST_DATABASE_URL: 'postgres://x/y' },
    });
    expect(envOverrides).toEqual([]);
  });
});

describe('env overrides: errors name the variable', () => {
  it('reports a value of the wrong type', () => {
    const issues = issuesOf({ PORT: 'eighty', NEPTUNO_JOBS__CONCURRENCY: 'many', NEPTUNO_SERVER__CORS__CREDENTIALS: 'yes' });
    expect(new ConfigError(issues).lines().sort()).toEqual([
      'env NEPTUNO_JOBS__CONCURRENCY (jobs.concurrency): must be an integer',
      'env NEPTUNO_SERVER__CORS__CREDENTIALS (server.cors.credentials): must be true or false',
      'env PORT (server.port): must be an integer',
    ]);
    expect(issues.every((i) => i.line === null && i.file === null)).toBe(true);
  });

  it('reports values out of range or not allowed', () => {
    expect(issuesOf({ PORT: '70000' })[0]).toMatchObject({ env: 'PORT', path: 'server.port', message: 'must be <= 65535' });
    expect(issuesOf({ LOG_LEVEL: 'loud' })[0]).toMatchObject({ env: 'LOG_LEVEL', path: 'log.level' });
    expect(issuesOf({ DATABASE_URL: 'mysql://x' })[0]).toMatchObject({ env: 'DATABASE_URL', path: 'database.url' });
    expect(issuesOf({ NEPTUNO_ENV: 'staging' })[0]).toMatchObject({ env: 'NEPTUNO_ENV', path: 'env' });
  });

  it('reports unknown keys and modules', () => {
    const [typo] = issuesOf({ NEPTUNO_SERVER__PROT: '80' });
    expect(typo).toMatchObject({ env: 'NEPTUNO_SERVER__PROT', code: 'unknown_env_key' });
    expect(typo.message).toContain('did you mean "server.port"');
    expect(issuesOf({ NEPTUNO_LOGGING__LEVEL: 'info' })[0]).toMatchObject({ env: 'NEPTUNO_LOGGING__LEVEL', path: 'logging' });
    expect(issuesOf({ NEPTUNO_MODULES__SHOP__ENABLED: 'true' })[0]).toMatchObject({ env: 'NEPTUNO_MODULES__SHOP__ENABLED', path: 'modules.shop' });
    expect(issuesOf({ NEPTUNO_SERVER__PORT__X: '1' })[0]).toMatchObject({ env: 'NEPTUNO_SERVER__PORT__X', path: 'server.port' });
    expect(issuesOf({ NEPTUNO_SERVER____PORT: '1' })[0]).toMatchObject({ env: 'NEPTUNO_SERVER____PORT' });
  });

  it('reports file and env problems together', () => {
    const lines = new ConfigError(issuesOf({ PORT: 'x' }, 'log:\n  level: loud\n')).lines();
    expect(lines).toEqual(['env PORT (server.port): must be an integer', 'neptuno.yaml:2:3 log.level: must be one of: fatal, error, warn, info, debug, trace, silent']);
  });
});
