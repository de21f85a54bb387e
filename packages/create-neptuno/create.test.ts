import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfigFile } from '../../src/core/config/check.js';
import { builtinModules } from '../../src/modules/index.js';
import { runNeptuno } from '../../src/testing/cli.js';
import { childEnv, cleanupPackHelpers, installPacked, packHelpers } from '../../src/testing/pack.js';
import { freePort } from '../../src/testing/servers.js';
import { waitFor } from '../../src/testing/wait.js';
import { listTemplates, renderProject } from './scaffold.mjs';

const dir = mkdtempSync(join(tmpdir(), 'neptuno-create-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  cleanupPackHelpers();
});
const names = listTemplates().map((t) => t.name);

describe('project templates', () => {
  it('ships the four sector templates, campaign first', () => {
    expect(names).toEqual(['campaign', 'leads', 'retail', 'saas']);
  });

  it.each(names)('%s: a neptuno.yaml the real configuration loader accepts with every shipped module', (name) => {
    const files = renderProject({ template: name, projectName: `p-${name}` });
    const project = join(dir, `yaml-${name}`);
    writeFileSync(join(dir, `${name}.yaml`), files.get('neptuno.yaml')!);
    const check = checkConfigFile(join(dir, `${name}.yaml`), builtinModules, { cwd: dir, env: {} });
    expect(check.ok ? check.summary : check.errors, project).toEqual(expect.arrayContaining([expect.stringContaining('configuration OK')]));
    expect(JSON.parse(files.get('package.json')!)).toMatchObject({ name: `p-${name}`, dependencies: { neptuno: expect.any(String) }, scripts: { start: 'neptuno start' } });
    for (const file of ['.gitignore', '.env.example', 'README.md', 'Dockerfile', 'compose.yaml', 'web/index.html', 'web/app.js', 'web/styles.css']) expect(files.has(file), file).toBe(true);
    expect(files.get('web/styles.css')).not.toContain('{{');
    expect(files.get('web/app.js')).toContain('"headline"');
  });

  it('`neptuno create` writes a project with the chosen modules, and `template apply` never clobbers an edit', async () => {
    const made = await runNeptuno(['create', join(dir, 'shop'), '--template', 'retail', '--modules', 'wallet,payments', '--yes', '--no-install'], dir);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('from the retail template');
    const yaml = readFileSync(join(dir, 'shop/neptuno.yaml'), 'utf8');
    expect(yaml).toMatch(/wallet:\n {4}enabled: true/);
    expect(yaml).toMatch(/gamification:\n {4}enabled: false/);
    expect((await runNeptuno(['create', join(dir, 'shop'), '--yes', '--no-install'], dir)).stderr).toContain('is not empty');

    writeFileSync(join(dir, 'shop/README.md'), '# My shop, my words\n');
    rmSync(join(dir, 'shop/Dockerfile'));
    const applied = await runNeptuno(['template', 'apply', 'retail', '--dir', join(dir, 'shop'), '--modules', 'wallet,payments', '--yes'], dir);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('-# My shop, my words'); // the diff it shows
    expect(applied.stdout).toContain('1 created, 0 replaced, 1 kept as you edited them');
    expect(readFileSync(join(dir, 'shop/README.md'), 'utf8')).toBe('# My shop, my words\n');
    expect(existsSync(join(dir, 'shop/Dockerfile'))).toBe(true);
  });
});

// Each template as a new user gets it: created by the CLI, with the packed neptuno package as
// its dependency, started with `npm start`, then a guest plays and keeps the points at sign-up.
describe('templates run on the packed package', () => {
  const { pack } = packHelpers();
  let tarball: string;
  beforeAll(async () => {
    tarball = await pack();
  }, 600_000);

  it.each(names)('%s: npm start, health, a guest plays, sign-up keeps the points', { timeout: 180_000 }, async (name) => {
    const project = join(dir, `run-${name}`);
    const made = await runNeptuno(['create', project, '--template', name, '--yes', '--no-install'], dir);
    expect(made.code, made.stderr).toBe(0);
    await installPacked(project, tarball);
    const port = await freePort();
    const child = spawn('npm', ['start'], { cwd: project, env: { ...childEnv(), PORT: String(port), LOG_LEVEL: 'warn' }, detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const api = `http://127.0.0.1:${port}`;
    try {
      await waitFor(async () => (await fetch(`${api}/health/ready`).catch(() => null))?.ok, `${name} to start: ${output}`, 90_000);
      const cookies: string[] = [];
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(api + path, {
          method,
          headers: { 'content-type': 'application/json', origin: 'http://localhost:3000', cookie: cookies.join('; ') },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        for (const c of res.headers.getSetCookie()) cookies.push(c.split(';')[0]);
        expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
        return res.json() as Promise<Record<string, unknown>>;
      };
      await call('POST', '/v1/public/guest', {});
      await call('POST', '/v1/gamification/events', { type: 'share', id: `${name}-1` });
      const points = async () => ((await call('GET', '/v1/gamification/me')).points as { total: number }).total;
      expect(await points()).toBe(50);
      const email = `ana.${name}.${Date.now()}@example.com`;
      await call('POST', '/v1/auth/sign-up/email', { email, password: 'mareas-y-caracolas-42', name: 'Ana' });
      await call('POST', '/v1/auth/sign-in/email', { email, password: 'mareas-y-caracolas-42' });
      // 50 from playing as a guest, moved to the account, + 100 for completing sign-up.
      await waitFor(async () => (await points()) === 150, 'the guest points on the account');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
  });
});
