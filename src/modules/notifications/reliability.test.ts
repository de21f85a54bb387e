import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { startTestSmtp, type TestSmtp } from '../../testing/smtp.js';
import { waitFor } from '../../testing/wait.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_SECRET } from '../../testing/app.js';
import { backoffDelay } from './deliveries.js';
import { runNeptuno } from '../../testing/cli.js';

/** Runs the real `neptuno` command in an empty directory; resolves with its standard output. */
async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const cwd = mkdtempSync(join(tmpdir(), 'neptuno-notif-cli-'));
  writeFileSync(join(cwd, 'neptuno.yaml'), 'server:\n  port: 0\n');
  const run = await runNeptuno(args, cwd, env);
  const out = run.stdout + run.stderr;
  if (run.code !== 0) throw new Error(`neptuno ${args.join(' ')} exited ${run.code}: ${out}`);
  return out;
}
import { admin, notificationsApp, person, send, statusOf } from './testing.js';

describe('backoffDelay', () => {
  it('doubles per failure, adds up to as much again of jitter, and stays under the cap', () => {
    const policy = { attempts: 10, backoffMs: 1000, maxBackoffMs: 60_000 };
    for (let n = 1; n <= 4; n++) {
      const base = 1000 * 2 ** (n - 1);
      const seen = Array.from({ length: 50 }, () => backoffDelay(policy, n));
      expect(Math.min(...seen)).toBeGreaterThanOrEqual(base);
      expect(Math.max(...seen)).toBeLessThanOrEqual(2 * base);
      expect(new Set(seen).size).toBeGreaterThan(1);
    }
    expect(backoffDelay(policy, 30)).toBe(60_000);
  });
});

/** A failing SMTP server: retries with backoff, the dead-letter state, manual retry, metrics. */
describe.each(targets)('notifications: reliability on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await notificationsApp(target, { smtpUrl: smtp.url, notifications: { quietHours: { enabled: false } } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const attemptsOf = async (deliveryId: string) =>
    (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${deliveryId}`, headers: admin })).json().attemptsLog as { status: string; attempt: number; error: string | null }[];

  it('retries a failing channel, then succeeds', async () => {
    const u = await person(t);
    await smtp.waitFor(u.email); // the sign-up email, so the failures below hit ours
    smtp.failNext(2);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'retry' }, channels: ['email'] })).json().id;
    const d = await statusOf(t, id, 'email', 'sent');
    expect(d.attempts).toBe(3);
    const log = await attemptsOf(d.id);
    expect(log.map((a) => a.status)).toEqual(['queued', 'failed', 'failed', 'sent']);
    expect(log[1].error).toMatch(/451/);
    await smtp.waitFor(u.email, /retry/);
  });

  it('dead-letters after the last attempt, lists it, and a manual retry sends it', async () => {
    const u = await person(t);
    await smtp.waitFor(u.email);
    smtp.failNext(3);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'dead' }, channels: ['email'] })).json().id;
    const d = await statusOf(t, id, 'email', 'dead');
    expect(d.attempts).toBe(3);
    expect((await attemptsOf(d.id)).map((a) => a.status)).toEqual(['queued', 'failed', 'failed', 'failed', 'dead']);

    const dead = (await t.app.inject({ method: 'GET', url: '/v1/admin/notifications/deliveries?status=dead', headers: admin })).json();
    expect(dead.data.map((r: { id: string }) => r.id)).toContain(d.id);
    expect(dead.data.every((r: { status: string }) => r.status === 'dead')).toBe(true);

    // The same list from a shell (SQLite: the command opens the test's database file).
    if (target.name === 'sqlite') {
      const out = await cli(['notifications', 'deliveries', '--status', 'dead'], { DATABASE_URL: String((t.raw.database as { url: string }).url), NEPTUNO_SECRET: TEST_SECRET });
      expect(out).toContain(d.id);
      expect(out).toMatch(/dead=[1-9]/);
    }

    const retry = await t.app.inject({ method: 'POST', url: `/v1/admin/notifications/deliveries/${d.id}/retry`, headers: admin });
    expect(retry.statusCode).toBe(202);
    await statusOf(t, id, 'email', 'sent');
    await smtp.waitFor(u.email, /dead/);
    expect((await attemptsOf(d.id)).map((a) => a.status).slice(-2)).toEqual(['queued', 'sent']);

    // Only failed, bounced or dead deliveries are retried; unknown ids are 404.
    expect((await t.app.inject({ method: 'POST', url: `/v1/admin/notifications/deliveries/${d.id}/retry`, headers: admin })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'POST', url: '/v1/admin/notifications/deliveries/nope/retry', headers: admin })).statusCode).toBe(404);

    const metrics = await waitFor(async () => {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      return /neptuno_notification_deliveries_total\{channel="email",status="dead"\} [1-9]/.test(text) ? text : null;
    }, 'the dead counter');
    expect(metrics).toMatch(/neptuno_notification_deliveries_total\{channel="email",status="failed"\} [1-9]/);
    expect(metrics).toMatch(/neptuno_notification_deliveries_total\{channel="email",status="sent"\} [1-9]/);
  });

  it('records a provider\'s later word on a sent message', async () => {
    const u = await person(t);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'later' }, channels: ['inapp'] })).json().id;
    const d = await statusOf(t, id, 'inapp', 'delivered');
    const detail = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${d.id}`, headers: admin })).json();
    expect(await t.ctx.services.notifications.reportStatus('inapp', detail.providerMessageId, 'bounced', 'gone')).toBe(true);
    expect(await t.ctx.services.notifications.reportStatus('inapp', 'unknown', 'bounced')).toBe(false);
    await statusOf(t, id, 'inapp', 'bounced');
  });
});
