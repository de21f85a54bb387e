import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { freezeClock, type TestClock } from '../../testing/clock.js';
import { startTestSmtp, type TestSmtp } from '../../testing/smtp.js';
import { waitFor } from '../../testing/wait.js';
import { typedDb } from '../../core/db/dialect.js';
import { admin, inbox, notificationsApp, person, send, statusOf } from './testing.js';
import type { NotificationTables } from './schema.js';

/** Time-driven behaviour on the real job queue: quiet hours hold and release, digests group. */
describe.each(targets)('notifications: quiet hours and digests on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;
  let clock: TestClock | null = null;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await notificationsApp(target, { smtpUrl: smtp.url });
  });
  afterEach(() => {
    clock?.restore();
    clock = null;
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('holds a non-critical email at 23:00 in Bogota until 08:00 local; in-app and critical go at once', async () => {
    // 04:00 UTC is 23:00 the evening before in America/Bogota (UTC-5, no daylight saving).
    clock = freezeClock('2030-03-02T04:00:00Z');
    const u = await person(t, { timezone: 'America/Bogota' });
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'night' } })).json().id;
    const held = await statusOf(t, id, 'email', 'held_quiet_hours');
    expect(held).toMatchObject({ attempts: 0 });
    const detail = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${held.id}`, headers: admin })).json();
    expect(detail.nextAt).toBe('2030-03-02T13:00:00.000Z');
    // The inbox is silent anyway: never held.
    await statusOf(t, id, 'inapp', 'delivered');
    expect((await inbox(t, { cookie: u.cookie })).data[0].title).toBe('Oferta: night');

    // Critical bypasses quiet hours.
    const alert = (await send(t, { to: { userId: u.userId }, type: 'security', data: { place: 'Medellín' } })).json().id;
    await statusOf(t, alert, 'email', 'sent');
    await smtp.waitFor(u.email, /Medellín/);
    expect(smtp.messages.some((m) => m.to.includes(u.email) && /night/.test(m.subject))).toBe(false);

    // 07:59 local: still held. 08:00 local: the held job becomes due and the email goes out.
    clock.set('2030-03-02T12:59:00Z');
    expect((await t.ctx.queue.get(`notif-${held.id}-0`))?.state).toBe('delayed');
    expect((await statusOf(t, id, 'email', ['held_quiet_hours', 'sent'])).status).toBe('held_quiet_hours');
    clock.set('2030-03-02T13:00:01Z');
    await statusOf(t, id, 'email', 'sent');
    const mail = await smtp.waitFor(u.email, /night/);
    expect(mail.subject).toBe('Oferta: night');
  });

  it('groups ten "you got points" into one message per window', async () => {
    // 10:00 in Bogota: outside quiet hours.
    clock = freezeClock('2030-03-02T15:00:00Z');
    const u = await person(t, { timezone: 'America/Bogota', locale: 'en' });
    for (let i = 1; i <= 10; i++) {
      expect((await send(t, { to: { userId: u.userId }, type: 'points', data: { points: i * 10 } })).statusCode).toBe(202);
    }
    const db = typedDb<NotificationTables>(t.ctx);
    await waitFor(async () => (await db.selectFrom('notif_digests').select('count').where('recipient_id', '=', u.userId).executeTakeFirst())?.count === 10, 'ten sends in the window');
    expect((await inbox(t, { cookie: u.cookie })).data).toHaveLength(0);

    clock.advance(61_000);
    await waitFor(async () => (await inbox(t, { cookie: u.cookie })).data.length === 1, 'the digest in the inbox');
    const box = await inbox(t, { cookie: u.cookie });
    expect(box.data[0]).toMatchObject({ title: 'You got points 10 times', body: 'Latest: 100', type: 'points' });
    const mail = await smtp.waitFor(u.email, /10 times/);
    expect(mail.subject).toBe('You got points 10 times');
    expect(smtp.messages.filter((m) => m.to.includes(u.email) && /points/.test(m.subject))).toHaveLength(1);

    // A window with a single send goes out as that send.
    await send(t, { to: { userId: u.userId }, type: 'points', data: { points: 5 } });
    await waitFor(async () => (await db.selectFrom('notif_digests').select('count').where('recipient_id', '=', u.userId).executeTakeFirst())?.count === 1, 'the lone send');
    clock.advance(61_000);
    await waitFor(async () => (await inbox(t, { cookie: u.cookie })).data.length === 2, 'the lone send in the inbox');
    expect((await inbox(t, { cookie: u.cookie })).data.map((i) => i.title)).toContain('You got 5 points');
  });
});
