import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { TEST_ORIGIN } from '../../testing/auth.js';
import { FakeOneSignal } from './testing/onesignal.js';
import { admin, notificationsApp, person, send, statusOf } from './testing.js';

/**
 * OneSignal's REST API against a local fake with its wire format (testing/onesignal.ts): sends to
 * registered subscription ids with partial-success answers handled, and, in a second app, to the
 * user's external_id alias.
 */
describe.each(targets)('notifications: OneSignal on %s', (target) => {
  let t: TestApp;
  let os: FakeOneSignal;

  beforeAll(async () => {
    os = await FakeOneSignal.start();
    t = await notificationsApp(target, {
      notifications: {
        quietHours: { enabled: false },
        channels: {
          inapp: { enabled: true },
          email: { enabled: true },
          onesignal: { enabled: true, appId: os.appId, restApiKey: os.restApiKey, baseUrl: os.url, retry: { attempts: 3, backoffMs: 20, maxBackoffMs: 100 } },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await os?.close();
  });

  const register = (cookie: string, token: string) =>
    t.app.inject({ method: 'POST', url: '/v1/notifications/devices', headers: { cookie, origin: TEST_ORIGIN }, payload: { provider: 'onesignal', token, platform: 'ios' } });
  const devicesOf = async (cookie: string) => (await t.app.inject({ method: 'GET', url: '/v1/notifications/devices', headers: { cookie } })).json().data as { id: string; tokenEnd: string }[];

  it('sends one request to every subscription of the recipient, in the wire format OneSignal documents', async () => {
    const u = await person(t, { locale: 'es' });
    const [phone, tablet] = [os.subscription(), os.subscription()];
    expect((await register(u.cookie, phone)).statusCode).toBe(201);
    expect((await register(u.cookie, tablet)).statusCode).toBe(201);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'os' }, channels: ['onesignal'] })).json().id;
    const d = await statusOf(t, id, 'onesignal', 'sent');
    expect(os.rejected).toEqual([]);
    expect(os.received).toHaveLength(1);
    const [msg] = os.received;
    expect(msg.reached.sort()).toEqual([phone, tablet].sort());
    expect(msg.body).toEqual({
      app_id: os.appId,
      include_subscription_ids: expect.arrayContaining([phone, tablet]),
      headings: { en: 'Oferta: os', es: 'Oferta: os' },
      contents: { en: 'Aprovecha os.', es: 'Aprovecha os.' },
      data: { type: 'promo', notificationId: id },
      url: 'https://shop.example/os',
      priority: 5,
      idempotency_key: d.id,
    });
    const detail = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${d.id}`, headers: admin })).json();
    expect(detail.providerMessageId).toBe(msg.id);
  });

  it('handles partial success: invalid subscription ids are removed, the rest is delivered', async () => {
    const u = await person(t);
    const good = os.subscription();
    const stale = '5f0e1c9a-3b7d-4e2a-9c1f-0a8b7c6d5e4f'; // never known to OneSignal
    await register(u.cookie, good);
    await register(u.cookie, stale);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'partial' }, channels: ['onesignal'] })).json().id;
    const d = await statusOf(t, id, 'onesignal', 'sent');
    expect(d.attempts).toBe(1);
    expect((await devicesOf(u.cookie)).map((x) => x.tokenEnd)).toEqual([good.slice(-8)]);
    const log = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${d.id}`, headers: admin })).json().attemptsLog;
    expect(log.at(-1)).toMatchObject({ status: 'sent', error: expect.stringMatching(/1 invalid subscription\(s\) removed/) });
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/neptuno_notification_push_targets_removed_total\{channel="onesignal",reason="invalid"\} [1-9]/);
  });

  it('bounces when OneSignal created nothing (empty id: nobody subscribed)', async () => {
    const u = await person(t);
    const off = os.subscription();
    os.unsubscribe(off);
    await register(u.cookie, off);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'nobody' }, channels: ['onesignal'] })).json().id;
    const d = await statusOf(t, id, 'onesignal', 'bounced');
    expect(d.attempts).toBe(1);
    const detail = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${d.id}`, headers: admin })).json();
    expect(detail.lastError).toMatch(/All included players are not subscribed/);
    // The device is known to OneSignal (only switched off there): it stays registered.
    expect(await devicesOf(u.cookie)).toHaveLength(1);
  });

  it('retries 429 and 5xx honouring Retry-After, and the idempotency key keeps it to one message', async () => {
    const u = await person(t);
    const phone = os.subscription();
    await register(u.cookie, phone);
    os.respond({ status: 429, body: { errors: ['API rate limit exceeded.'] }, headers: { 'retry-after': '0' } }, { status: 502, body: { errors: ['Bad Gateway'] } });
    const before = os.received.length;
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'busy' }, channels: ['onesignal'] })).json().id;
    const d = await statusOf(t, id, 'onesignal', 'sent');
    expect(d.attempts).toBe(3);
    expect(os.received.length - before).toBe(1);
    // A wrong key is final (403), never retried.
    const v = await person(t);
    await register(v.cookie, os.subscription());
    os.respond({ status: 403, body: { errors: ['Access denied.'] } });
    const denied = (await send(t, { to: { userId: v.userId }, type: 'promo', data: { offer: 'denied' }, channels: ['onesignal'] })).json().id;
    expect((await statusOf(t, denied, 'onesignal', 'dead')).attempts).toBe(1);
  });
});

describe.each(targets)('notifications: OneSignal by external_id on %s', (target) => {
  let t: TestApp;
  let os: FakeOneSignal;

  beforeAll(async () => {
    os = await FakeOneSignal.start();
    t = await notificationsApp(target, {
      notifications: {
        quietHours: { enabled: false },
        channels: { inapp: { enabled: true }, onesignal: { enabled: true, target: 'external_id', appId: os.appId, restApiKey: os.restApiKey, baseUrl: os.url } },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await os?.close();
  });

  it("sends to the user's external_id alias, bounces an unknown one, and needs no device registration", async () => {
    const u = await person(t, { locale: 'en' });
    const phone = os.subscription();
    os.login(u.userId, [phone]);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'alias' }, channels: ['onesignal'] })).json().id;
    await statusOf(t, id, 'onesignal', 'sent');
    expect(os.received.at(-1)!.body).toMatchObject({ include_aliases: { external_id: [u.userId] }, target_channel: 'push', headings: { en: 'Offer: alias' } });
    expect(os.received.at(-1)!.body).not.toHaveProperty('include_subscription_ids');

    const stranger = await person(t);
    const none = (await send(t, { to: { userId: stranger.userId }, type: 'promo', data: { offer: 'who' }, channels: ['onesignal'] })).json().id;
    const d = await statusOf(t, none, 'onesignal', 'bounced');
    const detail = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${d.id}`, headers: admin })).json();
    expect(detail.lastError).toMatch(/external_id has no subscribed device/);

    const reg = await t.app.inject({ method: 'POST', url: '/v1/notifications/devices', headers: { cookie: u.cookie, origin: TEST_ORIGIN }, payload: { provider: 'onesignal', token: phone, platform: 'ios' } });
    expect(reg.statusCode).toBe(409);
    expect(reg.json().code).toBe('device_target_external_id');
  });
});
