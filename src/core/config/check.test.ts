import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfigFile, redactUrl } from './check.js';
import { availableModules } from '../../cli/bootstrap.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'neptuno-check-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const modules = [{ name: 'guestbook' }];

describe('checkConfigFile', () => {
  it('summarizes a valid file without writing anything', () => {
    writeFileSync(join(dir, 'neptuno.yaml'), 'server:\n  port: 9000\nmodules:\n  guestbook:\n    enabled: false\n');
    const result = checkConfigFile(undefined, modules, { cwd: dir, env: { DATABASE_URL: 'postgres://app:s3cret@db/app' } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.exitCode).toBe(0);
    const text = result.summary.join('\n');
    expect(text).toContain(':9000');
    expect(text).toContain('guestbook (off)');
    expect(text).toContain('environment overrides: DATABASE_URL');
    expect(text).toContain('public URL http://localhost:9000');
    expect(text).toContain('docs (/docs, /openapi.json): served');
    expect(text).toContain('metrics: /metrics, public (development)');
    expect(text).not.toContain('s3cret');
    expect(existsSync(join(dir, 'data'))).toBe(false); // a check never generates the dev secret
  });

  it('returns one printable line per problem and exit code 1', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'server:\n  port: high\nmodules:\n  shop: {}\n');
    const result = checkConfigFile('bad.yaml', modules, { cwd: dir, env: { LOG_LEVEL: 'loud' } });
    expect(result).toEqual({
      ok: false,
      exitCode: 1,
      errors: [
        'env LOG_LEVEL (log.level): must be one of: fatal, error, warn, info, debug, trace, silent',
        'bad.yaml:2:3 server.port: must be an integer',
        'bad.yaml:4:3 modules.shop: unknown module "shop" (installed modules: guestbook)',
      ],
    });
  });

  it('reports production refusals', () => {
    const result = checkConfigFile(undefined, modules, { cwd: dir, env: { NODE_ENV: 'production' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join('\n')).toContain('openssl rand -base64 48');
  });

  // The module list is derived the way `neptuno config check` and `neptuno start` derive it (the
  // built-in modules plus the file's moduleFiles), so adding a module never breaks this test.
  const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

  it('accepts the repository neptuno.yaml with the modules it lists', async () => {
    const file = join(root, 'neptuno.yaml');
    const result = checkConfigFile(file, await availableModules(file, root), { cwd: root, env: {} });
    expect(result).toMatchObject({ ok: true });
  });

  it('accepts a module of your own added as the README teaches (moduleFiles + its section)', async () => {
    const file = join(dir, 'neptuno.yaml');
    writeFileSync(file, `moduleFiles:\n  - ${join(root, 'examples/guestbook/module.ts')}\nmodules:\n  guestbook:\n    bannedWords: [casino]\n`);
    const modules = await availableModules(file, dir);
    expect(modules.map((m) => m.name)).toContain('guestbook');
    const result = checkConfigFile(file, modules, { cwd: dir, env: {} });
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.summary.join('\n')).toContain('guestbook (on)');
  });
});

describe('redactUrl', () => {
  it('hides passwords only', () => {
    expect(redactUrl('postgres://u:pw@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('redis://h:6379')).toBe('redis://h:6379');
    expect(redactUrl('sqlite:./data/neptuno.db')).toBe('sqlite:./data/neptuno.db');
  });
});
