import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSecret, MIN_SECRET_LENGTH } from './secret.js';
import { ConfigError } from './errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'neptuno-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const base = { dataDir: './data', secret: null };

function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveSecret in production', () => {
  it('refuses to start without a secret, saying how to make one', () => {
    const err = refusal(() => resolveSecret({ ...base, env: 'production' }, { dataDir: dir }));
    expect(err.issues[0]).toMatchObject({ path: 'secret', code: 'secret_missing' });
    expect(err.format()).toContain('openssl rand -base64 48');
    expect(err.format()).toContain('NEPTUNO_SECRET');
    expect(existsSync(join(dir, 'secret'))).toBe(false);
  });

  it('refuses a secret shorter than 32 characters without printing it', () => {
    const short = 'hunter2-hunter2-hunter2';
    const err = refusal(() => resolveSecret({ ...base, env: 'production', secret: short }, { dataDir: dir }));
    expect(err.issues[0].code).toBe('secret_too_short');
    expect(err.format()).not.toContain(short);
  });

  it('does not fall back to a generated file', () => {
    writeFileSync(join(dir, 'secret'), 'f'.repeat(64));
    expect(() => resolveSecret({ ...base, env: 'production' }, { dataDir: dir })).toThrow(ConfigError);
  });

  it('returns a long enough secret', () => {
    const secret = 'k'.repeat(MIN_SECRET_LENGTH);
    expect(resolveSecret({ ...base, env: 'production', secret }, { dataDir: dir })).toBe(secret);
  });
});

describe('resolveSecret in development and test', () => {
  it('uses the configured secret as is', () => {
    expect(resolveSecret({ ...base, env: 'development', secret: 'dev' }, { dataDir: dir })).toBe('dev');
    expect(existsSync(join(dir, 'secret'))).toBe(false);
  });

  it('generates one on first start, keeps it with mode 0600 and reuses it', () => {
    const dataDir = join(dir, 'nested', 'data');
    const first = resolveSecret({ ...base, env: 'development' }, { dataDir });
    expect(first.length).toBeGreaterThanOrEqual(MIN_SECRET_LENGTH);
    const file = join(dataDir, 'secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(readdirSync(dataDir)).toEqual(['secret']); // no temporary file left behind

    expect(resolveSecret({ ...base, env: 'test' }, { dataDir })).toBe(first);
    const other = mkdtempSync(join(tmpdir(), 'neptuno-secret-other-'));
    try {
      expect(resolveSecret({ ...base, env: 'development' }, { dataDir: other })).not.toBe(first);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('defaults to config.dataDir, relative to cwd', () => {
    const secret = resolveSecret({ env: 'development', secret: null, dataDir: './state' }, { cwd: dir });
    expect(readFileSync(join(dir, 'state', 'secret'), 'utf8').trim()).toBe(secret);
  });

  it('tightens a secret file left readable by others', () => {
    writeFileSync(join(dir, 'secret'), 'g'.repeat(48));
    chmodSync(join(dir, 'secret'), 0o644);
    expect(resolveSecret({ ...base, env: 'development' }, { dataDir: dir })).toBe('g'.repeat(48));
    expect(statSync(join(dir, 'secret')).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged secret file instead of silently replacing it', () => {
    writeFileSync(join(dir, 'secret'), 'tiny');
    expect(refusal(() => resolveSecret({ ...base, env: 'development' }, { dataDir: dir })).issues[0].code).toBe('secret_file_invalid');
  });
});
