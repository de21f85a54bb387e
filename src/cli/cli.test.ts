import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '../core/db/database.js';
import { SqlQueue } from '../core/drivers/queue/sql.js';
import { isolatedDatabase, targets, uniquePrefix, type IsolatedDatabase } from '../testing/targets.js';
import { freePort } from '../testing/servers.js';
import { runNeptuno, startNeptuno } from '../testing/cli.js';

const neptuno = runNeptuno;
const start = startNeptuno;

// Each case spawns the real command a few times (about a second each on a quiet machine).
describe('neptuno CLI', { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'neptuno-cli-'));
    writeFileSync(join(dir, 'neptuno.yaml'), 'server:\n  host: 127.0.0.1\n  port: 0\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('config check accepts a good file and explains a bad one with file, line and key', async () => {
    const ok = await neptuno(['config', 'check'], dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('configuration OK');
    writeFileSync(join(dir, 'bad.yaml'), 'server:\n  port: eighty\n  colour: blue\n');
    const bad = await neptuno(['config', 'check', '--config', 'bad.yaml'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad.yaml:2:3 server.port: must be an integer');
    expect(bad.stderr).toContain('bad.yaml:3:3 server.colour: unknown key');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const env = await neptuno(['config', 'check'], dir, { PORT: 'abc' });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('env PORT');
  });

  it('refuses to start in production without a real secret', async () => {
    const res = await neptuno(['start'], dir, { NODE_ENV: 'production' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('openssl rand -base64 48');
  });

  it('migrates, reports status, writes the OpenAPI document and lists jobs', async () => {
    const status = await neptuno(['migrate', 'status'], dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/pending\s+core\/settings_0001_settings/);
    const up = await neptuno(['migrate', 'up'], dir);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('applied  core/settings_0001_settings');
    const again = await neptuno(['migrate', 'up'], dir);
    expect(again.stdout).toContain('up to date');
    const out = join(dir, 'openapi.json');
    const wrote = await neptuno(['openapi', '--out', out], dir);
    expect(wrote.code).toBe(0);
    expect(wrote.stdout).toContain(`Wrote the OpenAPI 3.1 document to ${out} (`);
    expect(wrote.stdout).toMatch(/\(\d+ operations, \d+ bytes\)/);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/health/ready']).toBeDefined();
    const jobs = await neptuno(['jobs', 'list'], dir);
    expect(jobs.code).toBe(0);
    expect(jobs.stdout).toContain('dead: 0');
    const retry = await neptuno(['jobs', 'retry', 'nope'], dir);
    expect(retry.code).toBe(1);
    const remove = await neptuno(['jobs', 'remove', 'nope'], dir);
    expect(remove.code).toBe(1);
    expect(remove.stderr).toContain('No job with id nope');
    // A queued reminder, as a module would have enqueued it: moved, then removed by id.
    const database = createDatabase({ url: `sqlite:${join(dir, 'data/neptuno.db')}` });
    const queue = new SqlQueue({ database });
    try {
      const id = await queue.enqueue('booking.reminder', { bookingId: 'b1' }, { delayMs: 3_600_000 });
      const at = '2030-01-02T03:04:05.000Z';
      const moved = await neptuno(['jobs', 'reschedule', id, '--at', at], dir);
      expect(moved.stdout).toContain(`runs at ${at}`);
      expect((await queue.get(id))?.runAt).toBe(at);
      expect((await neptuno(['jobs', 'remove', id], dir)).stdout).toContain(`Job ${id} removed.`);
      expect(await queue.get(id)).toBeNull();
    } finally {
      await queue.close();
      await database.destroy();
    }
  });

  it('creates the first administrator, refusing weak passwords, duplicates and a missing password', async () => {
    const args = ['create-admin', '--email', 'ana@example.com', '--name', 'Ana', '--password-stdin'];
    const weak = await neptuno(args, dir, {}, 'password123\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('password');
    const ok = await neptuno(args, dir, {}, 'Feria-de-Medellin-2026\n');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Administrator ana@example.com created');
    const again = await neptuno(args, dir, {}, 'Feria-de-Medellin-2026\n');
    expect(again.code).toBe(1);
    // Words from the English catalog, not the bare code.
    expect(again.stderr).toContain('Could not create the administrator: Email already registered. Another account uses this email.');
    expect(again.stderr).not.toContain('email_taken');
    const missing = await neptuno(['create-admin', '--email', 'bob@example.com'], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--password-stdin');
  });

  it('refuses another secret on a database already used with one, until it is rotated on purpose', async () => {
    // The earlier cases ran with the generated development secret (data/secret).
    const other = { NEPTUNO_SECRET: 'another-secret-another-secret-0123456789' };
    const refused = await neptuno(['jobs', 'list'], dir, other);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Give every replica the same NEPTUNO_SECRET');
    expect(refused.stderr).not.toContain(other.NEPTUNO_SECRET);
    const rotated = await neptuno(['secret', 'rotate'], dir, other);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('Recorded the new secret');
    expect((await neptuno(['jobs', 'list'], dir, other)).code).toBe(0);
    expect((await neptuno(['jobs', 'list'], dir)).code).toBe(1);
    expect((await neptuno(['secret', 'rotate'], dir)).code).toBe(0);
  });
});

describe.each(targets)('neptuno start on %s', { timeout: 120_000 }, (target) => {
  let dir: string;
  let db: IsolatedDatabase;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'neptuno-start-'));
    db = await isolatedDatabase(target);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.cleanup();
  });

  it('serves a ready, documented API from environment alone and stops cleanly on SIGTERM', async () => {
    // The same build: only DATABASE_URL and REDIS_URL differ between the two shapes.
    const databaseUrl = db.schema ? `${db.url}?options=${encodeURIComponent(`-c search_path=${db.schema}`)}` : db.url;
    // A fixed port, not 0: server.publicUrl then follows it (http://localhost:<port>), as with `PORT=3001 npm start`.
    const port = await freePort();
    const env: Record<string, string> = { PORT: String(port), DATABASE_URL: databaseUrl, NEPTUNO_DATA_DIR: join(dir, 'data') };
    if (target.redisUrl) Object.assign(env, { REDIS_URL: target.redisUrl, NEPTUNO_REDIS__PREFIX: uniquePrefix() });
    const server = await start(dir, env);
    try {
      const ready = await fetch(`${server.url}/health/ready`);
      expect(ready.status).toBe(200);
      const checks = ((await ready.json()) as { checks: Record<string, string> }).checks;
      expect(Object.keys(checks)).toEqual(expect.arrayContaining(target.redisUrl ? ['database', 'queue', 'redis'] : ['database', 'queue']));
      expect((await fetch(`${server.url}/docs/`)).status).toBe(200);
      // Loopback by default (no HOST given).
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
      // A sign-up from the server's own origin (its /docs page) is trusted: publicUrl followed PORT.
      const signUp = await fetch(`http://localhost:${port}/v1/auth/sign-up/email`, {
        method: 'POST',
        headers: { origin: `http://localhost:${port}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Ana', email: `ana.${target.name}@example.com`, password: 'Feria-de-Medellin-2026' }),
      });
      expect(signUp.status).toBe(200);
      if (target.name === 'sqlite') expect(readFileSync(join(dir, 'data', 'secret'), 'utf8').trim().length).toBeGreaterThanOrEqual(32);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });
});
