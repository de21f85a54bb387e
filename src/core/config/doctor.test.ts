import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';
import { doctorFindings, formatDoctor } from './doctor.js';
import type { AppConfig } from './schema.js';

const dir = mkdtempSync(join(tmpdir(), 'neptuno-doctor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'k3Jx9vQ2mW7pL4tR8yB1nC6hF0sD5gA2eZ'; // 34 characters, test only
const TOKEN = 'T0k3n-f0r-scr1pts-T0k3n-f0r-scr1pts';

/** A configuration as `neptuno doctor` loads it: defaults, this environment, no file. */
function configFrom(env: Record<string, string>): AppConfig {
  return loadConfig({ cwd: dir, env, productionChecks: false }).config;
}

/** What a careful operator deploys behind the TLS proxy of deploy/ (docs/deployment.md). */
const GOOD = {
  NODE_ENV: 'production',
  NEPTUNO_SECRET: SECRET,
  NEPTUNO_ADMIN_TOKEN: TOKEN,
  NEPTUNO_SERVER__PUBLIC_URL: 'https://api.campana.example',
  NEPTUNO_SERVER__TRUST_PROXY: '1',
  NEPTUNO_SERVER__CORS__ORIGINS: 'https://campana.example',
  NEPTUNO_METRICS__PORT: '9464',
  MAIL_URL: 'smtp://neptuno:pw@smtp.example:587',
};
/** Backups are their own section (docs/backups.md); the doctor only asks for a schedule. */
const withBackups = (config: AppConfig): AppConfig => ({ ...config, backups: { ...config.backups, schedule: '0 3 * * *' } });
const codes = (env: Record<string, string>, modules = [] as { name: string; example?: boolean }[]) =>
  doctorFindings(withBackups(configFrom(env)), modules).map((f) => f.code);

describe('neptuno doctor findings', () => {
  it('passes a careful production configuration', () => {
    const findings = doctorFindings(withBackups(configFrom(GOOD)));
    expect(findings).toEqual([]);
    expect(formatDoctor(findings)).toEqual({ lines: ['Ready for production.'], exitCode: 0 });
  });

  it.each([
    ['a missing secret', { NEPTUNO_SECRET: '' }, 'secret_missing'],
    ['a short secret', { NEPTUNO_SECRET: 'short-secret' }, 'secret_too_short'],
    ['a short admin token', { NEPTUNO_ADMIN_TOKEN: 'admin123' }, 'admin_token_too_short'],
    ['CORS * with credentials', { NEPTUNO_SERVER__CORS__ORIGINS: '*' }, 'cors_wildcard_with_credentials'],
    ['a plain-http public URL', { NEPTUNO_SERVER__PUBLIC_URL: 'http://api.campana.example' }, 'public_url_not_https'],
    ['a loopback public URL', { NEPTUNO_SERVER__PUBLIC_URL: 'https://localhost:8443' }, 'public_url_loopback'],
    ['https without trusting the proxy', { NEPTUNO_SERVER__TRUST_PROXY: 'false' }, 'trust_proxy_missing'],
    ['cookies without Secure (development)', { NODE_ENV: 'development' }, 'not_production'],
    ['no SMTP', { MAIL_URL: '' }, 'mail_not_configured'],
  ])('catches %s', (_what, change, code) => {
    const env: Record<string, string> = { ...GOOD, ...change };
    for (const [k, v] of Object.entries(env)) if (v === '') delete env[k];
    const found = doctorFindings(withBackups(configFrom(env)));
    expect(found.map((f) => f.code)).toContain(code);
    expect(found.find((f) => f.code === code)!.level).toBe('error');
    expect(formatDoctor(found).exitCode).toBe(1);
  });

  it('catches a configuration without scheduled backups', () => {
    expect(doctorFindings(configFrom(GOOD)).map((f) => f.code)).toEqual(['backups_off']);
  });

  it('catches an example module switched on, and not one switched off', () => {
    const guestbook = { name: 'guestbook', example: true };
    const on = { ...GOOD, NEPTUNO_MODULES__GUESTBOOK__ENABLED: 'true' };
    const config = withBackups(loadConfig({ cwd: dir, env: on, modules: [guestbook], productionChecks: false }).config);
    expect(doctorFindings(config, [guestbook]).map((f) => f.code)).toEqual(['example_module_on']);
    expect(codes(GOOD, [guestbook])).toEqual([]);
  });

  it('warns, without failing, about choices that are sometimes right', () => {
    const found = doctorFindings(
      withBackups(configFrom({ ...GOOD, NEPTUNO_SERVER__TRUST_PROXY: 'true', NEPTUNO_SERVER__DOCS: 'true', NEPTUNO_METRICS__PORT: '', DATABASE_URL: 'postgres://app@db/app' })),
    );
    expect(found.map((f) => [f.level, f.code])).toEqual([
      ['warning', 'redis_missing'],
      ['warning', 'trust_proxy_any'],
      ['warning', 'docs_public'],
      ['warning', 'metrics_off'],
    ]);
    expect(formatDoctor(found).exitCode).toBe(0);
  });

  it('never prints the secret or the token', () => {
    const { lines } = formatDoctor(doctorFindings(configFrom({ ...GOOD, NEPTUNO_SECRET: 'short-secret', NEPTUNO_ADMIN_TOKEN: 'admin123' })));
    expect(lines.join('\n')).not.toMatch(/short-secret|admin123/);
  });
});
