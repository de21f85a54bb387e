import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNeptuno } from '../../testing/cli.js';
import { defineModule } from '../module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { readOutbox } from '../drivers/mail/outbox.js';
import { waitFor as until } from '../../testing/wait.js';

const neptuno = runNeptuno;

const welcome = defineModule({
  name: 'welcome',
  mail: {
    templates: {
      hello: {
        es: { subject: 'Bienvenida, {{name}}', html: '<p>Entra aquí: <a href="{{url}}">tu cuenta</a></p>' },
        en: { subject: 'Welcome, {{name}}', html: '<p>Come in: <a href="{{url}}">your account</a></p>' },
      },
    },
  },
});

// The CLI runs as another process on the same database, so it must hold the same secret.
const SECRET = 'mail-outbox-test-secret-0123456789-abcdefgh';

// The CLI case spawns the real command twice (about a second each on a quiet machine).
describe.each(targets)('development outbox on %s', { timeout: 120_000 }, (target) => {
  let t: TestApp;
  let dir: string;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'neptuno-mail-'));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    // No mail.url: every email goes to the neptuno_outbox table and the log.
    t = await createTestApp({ target, modules: [welcome], workers: true, secret: SECRET, logger: pino({ level: 'info' }, sink) });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps each email, both parts, and logs its link; `neptuno mail list` and `mail show` print them', async () => {
    const to = `dev.${process.pid}.${target.name}@example.com`;
    const url = 'http://localhost:8000/v1/auth/verify-email?token=abc&callbackURL=%2F';
    await t.ctx.mail.send({ to, template: 'welcome.hello', locale: 'en', data: { name: 'Ana', url } });
    const [entry] = await until(async () => {
      const found = await readOutbox(t.ctx.db, { to });
      return found.length ? found : null;
    }, 'the outbox row');
    expect(entry).toMatchObject({ to, from: 'Neptuno <no-reply@localhost>', subject: 'Welcome, Ana' });
    expect(entry.text).toContain(`Come in: your account: ${url}`);
    expect(entry.html).toContain('<html lang="en">');
    expect(lines.find((l) => l.msg === 'email written to the outbox')).toMatchObject({ to, subject: 'Welcome, Ana', link: url });

    // The same database, as a developer's terminal would reach it.
    const databaseUrl = t.schema ? `${String((t.raw.database as { url: string }).url)}?options=${encodeURIComponent(`-c search_path=${t.schema}`)}` : String((t.raw.database as { url: string }).url);
    const env = { DATABASE_URL: databaseUrl, NEPTUNO_DATA_DIR: join(dir, 'data'), NEPTUNO_SECRET: SECRET };
    const list = await neptuno(['mail', 'list', '--to', to], dir, env);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${entry.id}  ${to}  Welcome, Ana`);
    expect(list.stdout).toContain(`    ${url}`);
    const show = await neptuno(['mail', 'show', entry.id], dir, env);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('Subject: Welcome, Ana');
    expect(show.stdout).toContain(`your account: ${url}`);
  });
});
