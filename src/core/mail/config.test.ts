import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { checkConfigFile } from '../config/check.js';
import auth from '../../modules/auth/module.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'neptuno-mail-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const load = (yaml: string, env: NodeJS.ProcessEnv = {}) => {
  writeFileSync(join(dir, 'neptuno.yaml'), yaml);
  return loadConfig({ cwd: dir, env, modules: [auth] });
};

describe('the mail: section', () => {
  it('defaults to the development outbox, and takes the SMTP URL from MAIL_URL or SMTP_URL (MAIL_URL first)', () => {
    expect(load('').config.mail).toEqual({ url: null, from: 'Neptuno <no-reply@localhost>', brand: 'Neptuno', attempts: 8, backoffMs: 5000, timeoutMs: 30_000 });
    expect(load('', { SMTP_URL: 'smtp://u:p@smtp.example.com:587' }).config.mail.url).toBe('smtp://u:p@smtp.example.com:587');
    const both = load('mail:\n  url: smtp://file.example.com\n', { SMTP_URL: 'smtp://b.example.com', MAIL_URL: 'smtps://a.example.com' });
    expect(both.config.mail.url).toBe('smtps://a.example.com');
    expect(both.envOverrides).toContain('MAIL_URL');
  });

  it('refuses a URL that is not SMTP and unknown keys, naming the variable or the line', () => {
    try {
      load('mail:\n  url: http://smtp.example.com\n  form: x@example.com\n', {});
      expect.unreachable();
    } catch (err) {
      const lines = (err as ConfigError).lines().join('\n');
      expect(lines).toContain('neptuno.yaml:2:3 mail.url: must start with smtp:// or smtps://');
      expect(lines).toMatch(/neptuno\.yaml:3:3 mail\.form: unknown key/);
    }
    expect(() => load('', { MAIL_URL: 'mail.example.com' })).toThrow(/env MAIL_URL \(mail\.url\)/);
  });

  it('still accepts the deprecated modules.auth.mail, and config check shows mail without its password', () => {
    expect(load('modules:\n  auth:\n    mail:\n      smtpUrl: smtp://old.example.com\n').moduleConfigs.auth).toMatchObject({ mail: { smtpUrl: 'smtp://old.example.com' } });
    writeFileSync(join(dir, 'neptuno.yaml'), '');
    const result = checkConfigFile(undefined, [auth], { cwd: dir, env: { MAIL_URL: 'smtp://user:hunter2@smtp.example.com:587' } });
    expect(result.ok && result.summary.join('\n')).toContain('mail: smtp://user:***@smtp.example.com:587, from Neptuno <no-reply@localhost>');
  });
});
