import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/*
 * The files of deploy/ must agree with each other: the compose file cannot run here (no Docker
 * engine), so what it promises is checked as data — and both Caddyfiles by Caddy itself.
 */
const DIR = new URL('.', import.meta.url).pathname;
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');

interface Service {
  environment?: Record<string, string>;
  image?: string;
  build?: unknown;
}
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service> };
const neptunoServices = Object.entries(compose.services).filter(([, s]) => s.build);
const apiServices = neptunoServices.filter(([name]) => /^api\d+$/.test(name)).map(([name]) => name);

describe('deploy/', () => {
  it('compose: API replicas answer requests only, one job replica runs jobs, all share one secret behind one proxy hop', () => {
    expect(apiServices.length).toBeGreaterThanOrEqual(2);
    for (const [name, s] of neptunoServices) {
      const env = s.environment!;
      expect(env.NEPTUNO_SECRET, name).toBe('${NEPTUNO_SECRET:?set NEPTUNO_SECRET}');
      expect(env.NEPTUNO_SERVER__TRUST_PROXY, name).toBe('1');
      expect(env.NODE_ENV, name).toBe('production');
      expect(env.NEPTUNO_SERVER__PUBLIC_URL, name).toMatch(/^https:\/\//);
      expect(env.NEPTUNO_JOBS__CONCURRENCY, name).toBe(apiServices.includes(name) ? '0' : '8');
      for (const key of ['DATABASE_URL', 'REDIS_URL', 'STORAGE_URL', 'MAIL_URL']) expect(env[key], `${name} ${key}`).toBeTruthy();
    }
    expect(neptunoServices.map(([n]) => n).sort()).toEqual([...apiServices, 'worker'].sort());
  });

  it('compose: every variable it requires is in .env.example, and no secret has a value there', () => {
    const required = new Set([...read('compose.yaml').matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]));
    const example = Object.fromEntries(
      read('.env.example')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => l.split('=', 2) as [string, string]),
    );
    for (const name of required) expect(Object.keys(example), name).toContain(name);
    for (const name of ['NEPTUNO_SECRET', 'NEPTUNO_ADMIN_TOKEN', 'POSTGRES_PASSWORD', 'MINIO_ROOT_PASSWORD']) expect(example[name], name).toBe('');
  });

  it('Caddyfile.replicas sends traffic to exactly the API replicas of the compose file, health-checked', () => {
    const upstreams = /reverse_proxy ([^{]+)\{/.exec(read('Caddyfile.replicas'))![1].trim().split(/\s+/);
    expect(upstreams).toEqual(apiServices.map((n) => `${n}:8000`));
    expect(read('Caddyfile.replicas')).toContain('health_uri /health/ready');
  });

  it('the systemd unit keeps Neptuno on loopback behind one proxy hop and checks it before starting', () => {
    const unit = read('neptuno.service');
    expect(unit).toContain('Environment=HOST=127.0.0.1');
    expect(unit).toContain('Environment=NEPTUNO_SERVER__TRUST_PROXY=1');
    expect(unit).toContain('Environment=NODE_ENV=production');
    expect(unit).toMatch(/ExecStartPre=.* doctor/);
    expect(read('Caddyfile')).toContain('reverse_proxy 127.0.0.1:8000');
  });

  const caddy = process.env.NEPTUNO_CADDY ?? '/usr/bin/caddy';
  const haveCaddy = spawnSync(caddy, ['version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!haveCaddy && !/^(1|true)$/i.test(process.env.CI ?? ''))('both Caddyfiles are valid for Caddy', () => {
    // Caddy keeps state under HOME: a scratch one, so nothing lands in deploy/.
    const home = mkdtempSync(join(tmpdir(), 'neptuno-caddy-'));
    for (const file of ['Caddyfile', 'Caddyfile.replicas']) {
      const run = spawnSync(caddy, ['validate', '--config', join(DIR, file), '--adapter', 'caddyfile'], {
        env: { PATH: process.env.PATH!, HOME: home, NEPTUNO_DOMAIN: 'api.example.com', FILES_DOMAIN: 'files.example.com', ACME_EMAIL: 'ops@example.com' },
        encoding: 'utf8',
      });
      expect(run.stdout + run.stderr, file).toContain('Valid configuration');
      expect(run.status, file).toBe(0);
    }
    rmSync(home, { recursive: true, force: true });
  });
});
