import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { TEST_ORIGIN } from '../../testing/auth.js';
import { startTestSmtp, type TestSmtp } from '../../testing/smtp.js';
import { waitFor } from '../../testing/wait.js';
import { admin, deliveriesOf, inbox, notificationsApp, person, send, statusOf } from './testing.js';

/**
 * Sending end to end over real jobs, a real SMTP server and the real database: the inbox and the
 * email, preferences and the unsubscribe link, critical sends, idempotency keys, wiring by
 * configuration and bad input.
 */
describe.each(targets)('notifications: send on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    // Quiet hours off here: this file is about sending (quiet-hours.flow.test.ts holds them).
    t = await notificationsApp(target, { smtpUrl: smtp.url, notifications: { quietHours: { enabled: false } } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('delivers to the inbox and by email, in the user\'s language', async () => {
    const u = await person(t, { locale: 'en' });
    const res = await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'summer' } });
    expect(res.statusCode).toBe(202);
    const { id, created } = res.json();
    expect(created).toBe(true);

    const mail = await smtp.waitFor(u.email, /Offer: summer/);
    expect(mail.subject).toBe('Offer: summer');
    expect(mail.html).toContain('Grab summer.');
    expect(mail.html).toContain('https://shop.example/summer');
    // The footer link switches this type off by email without signing in.
    expect(mail.html).toMatch(/\/v1\/public\/notifications\/unsubscribe\?token(=|&#x3D;)/);

    await statusOf(t, id, 'email', 'sent');
    await statusOf(t, id, 'inapp', 'delivered');
    const box = await inbox(t, { cookie: u.cookie });
    expect(box.unread).toBe(1);
    expect(box.data[0]).toMatchObject({ title: 'Offer: summer', body: 'Grab summer.', url: 'https://shop.example/summer', read: false, type: 'promo' });

    // Every status is on record: queued, then the channel's answer.
    const detail = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${(await statusOf(t, id, 'email', 'sent')).id}`, headers: admin })).json();
    expect(detail.attemptsLog.map((a: { status: string }) => a.status)).toEqual(['queued', 'sent']);
  });

  it('reads, reads all and deletes inbox items, only the owner\'s', async () => {
    const u = await person(t);
    const other = await person(t);
    for (const offer of ['a', 'b', 'c']) {
      const r = await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer }, channels: ['inapp'] });
      await statusOf(t, r.json().id, 'inapp', 'delivered');
    }
    const h = { cookie: u.cookie, origin: TEST_ORIGIN };
    const page1 = await inbox(t, h, '?limit=2');
    expect(page1.data).toHaveLength(2);
    expect(page1.unread).toBe(3);
    const page2 = await inbox(t, h, `?limit=2&cursor=${encodeURIComponent(page1.nextCursor!)}`);
    expect(page2.data).toHaveLength(1);
    expect(page2.nextCursor).toBeNull();

    const first = page1.data[0].id;
    expect((await t.app.inject({ method: 'POST', url: `/v1/notifications/${first}/read`, headers: { cookie: other.cookie, origin: TEST_ORIGIN } })).statusCode).toBe(404);
    const read = await t.app.inject({ method: 'POST', url: `/v1/notifications/${first}/read`, headers: h });
    expect(read.json()).toMatchObject({ id: first, read: true });
    expect((await inbox(t, h)).unread).toBe(2);
    expect((await inbox(t, h, '?unread=true')).data).toHaveLength(2);

    expect((await t.app.inject({ method: 'POST', url: '/v1/notifications/read-all', headers: h })).json()).toEqual({ updated: 2 });
    expect((await inbox(t, h)).unread).toBe(0);

    expect((await t.app.inject({ method: 'DELETE', url: `/v1/notifications/${first}`, headers: { cookie: other.cookie, origin: TEST_ORIGIN } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/notifications/${first}`, headers: h })).statusCode).toBe(204);
    expect((await inbox(t, h)).data.map((i) => i.id)).not.toContain(first);
    expect((await t.app.inject({ method: 'GET', url: '/v1/notifications' })).statusCode).toBe(401);
  });

  it('honours preferences, and the email unsubscribe link works without signing in', async () => {
    const u = await person(t);
    const h = { cookie: u.cookie, origin: TEST_ORIGIN };
    const prefs = (await t.app.inject({ method: 'GET', url: '/v1/notifications/preferences', headers: h })).json().data;
    expect(prefs.find((p: { type: string }) => p.type === 'promo')).toEqual({ type: 'promo', optOut: true, channels: { inapp: true, email: true } });
    expect(prefs.find((p: { type: string }) => p.type === 'security')).toMatchObject({ optOut: false });

    // Mandatory types cannot be switched off; nothing is written when one change is refused.
    const locked = await t.app.inject({
      method: 'PATCH',
      url: '/v1/notifications/preferences',
      headers: h,
      payload: { changes: [{ type: 'promo', channel: 'inapp', enabled: false }, { type: 'security', channel: 'email', enabled: false }] },
    });
    expect(locked.statusCode).toBe(400);
    expect(locked.json().errors[0]).toMatchObject({ pointer: '/body/changes/1/type', code: 'preference_locked' });

    const off = await t.app.inject({ method: 'PATCH', url: '/v1/notifications/preferences', headers: h, payload: { changes: [{ type: 'promo', channel: 'inapp', enabled: false }] } });
    expect(off.statusCode).toBe(200);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'muted' } })).json().id;
    await statusOf(t, id, 'inapp', 'suppressed_preference');
    const mail = await smtp.waitFor(u.email, /muted/);
    expect((await inbox(t, h)).data).toHaveLength(0);

    // The email's link: a confirmation page (a GET changes nothing), then the one-click POST.
    const link = /href="([^"]*\/unsubscribe\?token[^"]+)"/.exec(mail.html!)![1].replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    const url = new URL(link);
    const page = await t.app.inject({ method: 'GET', url: url.pathname + url.search });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const stillOn = (await t.app.inject({ method: 'GET', url: '/v1/notifications/preferences', headers: h })).json().data;
    expect(stillOn.find((p: { type: string }) => p.type === 'promo').channels.email).toBe(true);
    const done = await t.app.inject({
      method: 'POST',
      url: url.pathname + url.search,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(done.statusCode).toBe(200);
    const after = (await t.app.inject({ method: 'GET', url: '/v1/notifications/preferences', headers: h })).json().data;
    expect(after.find((p: { type: string }) => p.type === 'promo').channels).toEqual({ inapp: false, email: false });
    const id2 = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'gone' } })).json().id;
    await statusOf(t, id2, 'email', 'suppressed_preference');

    // A forged or altered token is refused.
    const forged = link.replace(/token=([^.]+)\.(.+)$/, (_m, p: string, mac: string) => `token=${p}.${mac.slice(0, -2)}AA`);
    const bad = await t.app.inject({ method: 'POST', url: new URL(forged).pathname + new URL(forged).search });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
  });

  it('sends critical notifications whatever the preferences say', async () => {
    const u = await person(t);
    await t.app.inject({
      method: 'PATCH',
      url: '/v1/notifications/preferences',
      headers: { cookie: u.cookie, origin: TEST_ORIGIN },
      payload: { changes: [{ type: '*', channel: 'email', enabled: false }, { type: 'promo', channel: 'inapp', enabled: false }] },
    });
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'urgent' }, critical: true })).json().id;
    await statusOf(t, id, 'email', 'sent');
    await statusOf(t, id, 'inapp', 'delivered');
    // The channel-wide switch holds for an ordinary send.
    const id2 = (await send(t, { to: { userId: u.userId }, type: 'badge', data: { badge: 'Ambassador' } })).json().id;
    await statusOf(t, id2, 'email', 'suppressed_preference');
    await statusOf(t, id2, 'inapp', 'delivered');
  });

  it('is idempotent by key', async () => {
    const u = await person(t);
    const first = await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'once' }, key: `once-${u.userId}` });
    const again = await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'once' }, key: `once-${u.userId}` });
    expect(again.json()).toEqual({ id: first.json().id, created: false });
    const reused = await send(t, { to: { userId: u.userId }, type: 'badge', data: { badge: 'x' }, key: `once-${u.userId}` });
    expect(reused.statusCode).toBe(409);
    expect(reused.json().code).toBe('notification_key_reused');
    await statusOf(t, first.json().id, 'inapp', 'delivered');
    await smtp.waitFor(u.email, /once/);
    expect((await inbox(t, { cookie: u.cookie })).data).toHaveLength(1);
    expect(smtp.messages.filter((m) => m.to.includes(u.email) && /once/.test(m.subject))).toHaveLength(1);
  });

  it('sends from a service inside the caller\'s transaction, and not at all on rollback', async () => {
    const u = await person(t);
    const svc = t.ctx.services.notifications;
    await expect(
      t.ctx.tx(async () => {
        await svc.send({ to: { userId: u.userId }, type: 'promo', data: { offer: 'rolled-back' }, channels: ['inapp'] });
        throw new Error('the caller fails');
      }),
    ).rejects.toThrow('the caller fails');
    const { id } = await t.ctx.tx(() => svc.send({ to: { userId: u.userId }, type: 'promo', data: { offer: 'committed' }, channels: ['inapp'] }));
    await statusOf(t, id, 'inapp', 'delivered');
    expect((await inbox(t, { cookie: u.cookie })).data.map((i) => i.title)).toEqual(['Oferta: committed']);
  });

  it('fans out to a segment and to guests', async () => {
    const role = await person(t);
    await t.ctx.services.auth.setRole(role.userId, 'admin');
    const res = await send(t, { to: { segment: 'role:admin' }, type: 'message', data: { title: 'Ops', body: 'Deploy at noon' } });
    const rows = await deliveriesOf(t, res.json().id, 1);
    expect(rows.map((r) => r.recipientId)).toContain(role.userId);
    await waitFor(async () => (await inbox(t, { cookie: role.cookie })).data.some((i) => i.title === 'Ops'), 'the segment message');

    const guest = await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { origin: TEST_ORIGIN } });
    const cookie = String(guest.headers['set-cookie']).split(';')[0];
    const guestId = guest.json().id as string;
    const g = await send(t, { to: { guestId }, type: 'promo', data: { offer: 'for-guests' } });
    // A guest has no address: in-app only, no email delivery at all.
    const gRows = await statusOf(t, g.json().id, 'inapp', 'delivered');
    expect(gRows).toBeTruthy();
    expect((await deliveriesOf(t, g.json().id, 1)).map((r) => r.channel)).toEqual(['inapp']);
    expect((await inbox(t, { cookie })).data[0].title).toBe('Oferta: for-guests');
  });

  it('turns wired domain events into notifications, once per event', async () => {
    const u = await person(t);
    await t.ctx.events.emit('badge.awarded', { actorType: 'user', actorId: u.userId, badge: 'ambassador' });
    await waitFor(async () => (await inbox(t, { cookie: u.cookie })).data.length === 1, 'the badge notification');
    const box = await inbox(t, { cookie: u.cookie });
    expect(box.data[0]).toMatchObject({ type: 'badge' });
    await smtp.waitFor(u.email, /ambassador/);

    // Payments' events (declared by the payments module), money shown the reader's way.
    const v = await person(t, { locale: 'en' });
    await t.ctx.events.emit('payment.failed', {
      paymentId: 'pay_1',
      provider: 'stripe',
      userId: v.userId,
      tenantId: null,
      purpose: { kind: 'package', key: 'p100' },
      amount: 1999,
      currency: 'USD',
      providerPaymentId: 'pi_1',
    } as never);
    const failed = await waitFor(async () => (await inbox(t, { cookie: v.cookie })).data[0], 'the payment notification');
    expect(failed).toMatchObject({ type: 'payment_failed', title: 'Your payment did not go through', body: 'The payment of $19.99 was declined. You can try again.' });
  });

  it('answers bad input with 4xx problems', async () => {
    const u = await person(t);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ to: { userId: u.userId }, type: 'nope' }, 422, 'notification_type_unknown'],
      [{ to: { userId: u.userId }, type: 'promo', data: {} }, 422, 'notification_data_invalid'],
      [{ to: { userId: u.userId }, type: 'promo', data: { offer: 'x' }, channels: ['pigeon'] }, 422, 'notification_channel_unknown'],
      [{ to: { userId: u.userId, guestId: 'g' }, type: 'promo', data: { offer: 'x' } }, 400, 'validation_failed'],
      [{ to: { segment: 'everyone!' }, type: 'promo', data: { offer: 'x' } }, 400, 'validation_failed'],
      [{ to: {}, type: 'promo' }, 400, 'validation_failed'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await send(t, payload);
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([status, code]);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    // Only admins send.
    expect((await t.app.inject({ method: 'POST', url: '/v1/admin/notifications/send', headers: { cookie: u.cookie, origin: TEST_ORIGIN }, payload: {} })).statusCode).toBe(403);
  });
});
