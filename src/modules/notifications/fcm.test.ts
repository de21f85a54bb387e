import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { TEST_ORIGIN } from '../../testing/auth.js';
import { loadServiceAccount } from './fcm-client.js';
import { FakeFcm, fcmError } from './testing/fcm.js';
import { admin, notificationsApp, person, send, statusOf } from './testing.js';

/**
 * FCM HTTP v1 end to end against a local Google (testing/fcm.ts) that verifies the service
 * account's signed JWT assertion and the bearer token on every send: device registration,
 * delivery to every device, dead tokens removed, retries honouring Retry-After, token refresh.
 */
describe.each(targets)('notifications: FCM and devices on %s', (target) => {
  let t: TestApp;
  let fcm: FakeFcm;

  beforeAll(async () => {
    fcm = await FakeFcm.start();
    t = await notificationsApp(target, {
      notifications: {
        quietHours: { enabled: false },
        channels: {
          inapp: { enabled: true },
          email: { enabled: true },
          fcm: { enabled: true, serviceAccount: JSON.stringify(fcm.account), baseUrl: fcm.url, androidChannelId: 'news', retry: { attempts: 3, backoffMs: 20, maxBackoffMs: 100 } },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fcm?.close();
  });

  const register = (cookie: string, body: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/v1/notifications/devices', headers: { cookie, origin: TEST_ORIGIN }, payload: body });
  const devicesOf = async (cookie: string) => (await t.app.inject({ method: 'GET', url: '/v1/notifications/devices', headers: { cookie } })).json().data as { id: string; provider: string; tokenEnd: string }[];

  it('registers devices idempotently, moves a token to the account that registers it last, and forgets one', async () => {
    const [a, b] = [await person(t), await person(t)];
    const token = fcm.device();
    const first = await register(a.cookie, { provider: 'fcm', token, platform: 'android' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ provider: 'fcm', platform: 'android', tokenEnd: token.slice(-8) });
    expect(first.json()).not.toHaveProperty('token');
    const again = await register(a.cookie, { provider: 'fcm', token, platform: 'android' });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(await devicesOf(a.cookie)).toHaveLength(1);

    // The phone changes hands: one row, now B's.
    const moved = await register(b.cookie, { provider: 'fcm', token, platform: 'android' });
    expect(moved.json().id).toBe(first.json().id);
    expect(await devicesOf(a.cookie)).toEqual([]);
    expect((await devicesOf(b.cookie)).map((d) => d.id)).toEqual([first.json().id]);

    const del = (cookie: string) => t.app.inject({ method: 'DELETE', url: `/v1/notifications/devices/${first.json().id}`, headers: { cookie, origin: TEST_ORIGIN } });
    expect((await del(a.cookie)).statusCode).toBe(404);
    expect((await del(b.cookie)).statusCode).toBe(204);
    expect(await devicesOf(b.cookie)).toEqual([]);
  });

  it('refuses bad registrations and providers that are off', async () => {
    const u = await person(t);
    const bad = [
      { provider: 'apns', token: fcm.device(), platform: 'ios' },
      { provider: 'fcm', token: 'has spaces in it', platform: 'ios' },
      { provider: 'fcm', token: 'short', platform: 'ios' },
      { provider: 'fcm', token: fcm.device(), platform: 'windows' },
      { provider: 'fcm', token: fcm.device() },
    ];
    for (const body of bad) expect((await register(u.cookie, body)).statusCode, JSON.stringify(body)).toBe(400);
    const off = await t.app.inject({ method: 'POST', url: '/v1/notifications/devices', headers: { cookie: u.cookie, origin: TEST_ORIGIN, 'accept-language': 'es' }, payload: { provider: 'onesignal', token: 'b7a5f0e4-6f1c-4f0e-9a43-3c2e6f7d8a90', platform: 'ios' } });
    expect(off.statusCode).toBe(404);
    expect(off.json()).toMatchObject({ code: 'push_channel_disabled', title: 'Canal no disponible' });
    expect((await t.app.inject({ method: 'POST', url: '/v1/notifications/devices', payload: { provider: 'fcm', token: fcm.device(), platform: 'ios' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/v1/notifications/devices', headers: admin, payload: { provider: 'fcm', token: fcm.device(), platform: 'ios' } })).statusCode).toBe(403);
    expect(await devicesOf(u.cookie)).toEqual([]);
  });

  it('sends to every device over HTTP v1 with one access token, in the wire format FCM documents', async () => {
    const u = await person(t, { locale: 'es' });
    const [phone, tablet] = [fcm.device(), fcm.device()];
    await register(u.cookie, { provider: 'fcm', token: phone, platform: 'android' });
    await register(u.cookie, { provider: 'fcm', token: tablet, platform: 'ios' });
    const grantsBefore = fcm.tokenGrants;
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'fcm' }, channels: ['fcm'] })).json().id;
    const d = await statusOf(t, id, 'fcm', 'sent');
    expect(fcm.rejected).toEqual([]);
    expect(fcm.to(phone)).toHaveLength(1);
    expect(fcm.to(tablet)).toHaveLength(1);
    const { message, project } = fcm.to(phone)[0];
    expect(project).toBe('neptuno-test');
    expect(message).toEqual({
      token: phone,
      notification: { title: 'Oferta: fcm', body: 'Aprovecha fcm.' },
      data: { type: 'promo', notificationId: id, lang: 'es', url: 'https://shop.example/fcm' },
      android: { priority: 'NORMAL', notification: { tag: id, channel_id: 'news' } },
      apns: { headers: { 'apns-priority': '5' }, payload: { aps: { 'thread-id': 'promo' } } },
      webpush: { fcm_options: { link: 'https://shop.example/fcm' } },
    });
    const detail = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${d.id}`, headers: admin })).json();
    expect(detail.providerMessageId).toMatch(/^projects\/neptuno-test\/messages\//);

    // A second notification reuses the cached access token; critical ones go at high priority.
    const critical = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'ya' }, channels: ['fcm'], critical: true })).json().id;
    await statusOf(t, critical, 'fcm', 'sent');
    expect(fcm.tokenGrants - grantsBefore).toBeLessThanOrEqual(1);
    const urgent = fcm.to(tablet).find((r) => r.message.data?.notificationId === critical)!.message;
    expect(urgent.android).toMatchObject({ priority: 'HIGH' });
    expect(urgent.apns).toMatchObject({ headers: { 'apns-priority': '10' } });
  });

  it('removes unregistered and invalid tokens, and bounces when no device is left', async () => {
    const u = await person(t);
    const [gone, bogus] = [fcm.device(), 'not-a-real-fcm-registration-token-at-all'];
    await register(u.cookie, { provider: 'fcm', token: gone, platform: 'android' });
    await register(u.cookie, { provider: 'fcm', token: bogus, platform: 'android' });
    fcm.unregister(gone);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'bye' }, channels: ['fcm'] })).json().id;
    const d = await statusOf(t, id, 'fcm', 'bounced');
    expect(d.attempts).toBe(1);
    expect(await devicesOf(u.cookie)).toEqual([]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/neptuno_notification_push_targets_removed_total\{channel="fcm",reason="gone"\} [1-9]/);
    expect(metrics).toMatch(/neptuno_notification_push_targets_removed_total\{channel="fcm",reason="invalid"\} [1-9]/);
  });

  it('retries UNAVAILABLE and QUOTA_EXCEEDED honouring Retry-After, without sending twice to the device already reached', async () => {
    const u = await person(t);
    const [ok, busy] = [fcm.device(), fcm.device()];
    await register(u.cookie, { provider: 'fcm', token: ok, platform: 'android' });
    await register(u.cookie, { provider: 'fcm', token: busy, platform: 'android' });
    fcm.respond(busy, { ...fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE'), headers: { 'retry-after': '0' } }, fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', 'QUOTA_EXCEEDED'));
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'later' }, channels: ['fcm'] })).json().id;
    const d = await statusOf(t, id, 'fcm', 'sent');
    expect(d.attempts).toBe(3);
    expect(fcm.to(ok)).toHaveLength(1);
    expect(fcm.to(busy)).toHaveLength(1);
    const log = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${d.id}`, headers: admin })).json().attemptsLog;
    expect(log.map((a: { status: string; error: string | null }) => [a.status, a.error?.match(/UNAVAILABLE|QUOTA_EXCEEDED/)?.[0] ?? null])).toEqual([
      ['queued', null],
      ['failed', 'UNAVAILABLE'],
      ['failed', 'QUOTA_EXCEEDED'],
      ['sent', null],
    ]);
    // A payload FCM refuses (not about the token) is final, and the token is kept.
    const keep = fcm.device();
    const v = await person(t);
    await register(v.cookie, { provider: 'fcm', token: keep, platform: 'android' });
    fcm.respond(keep, fcmError(400, 'INVALID_ARGUMENT', "Invalid value at 'message.android.ttl'", undefined, [{ field: 'message.android.ttl', description: 'Invalid duration' }]));
    const bad = (await send(t, { to: { userId: v.userId }, type: 'promo', data: { offer: 'bad' }, channels: ['fcm'] })).json().id;
    expect((await statusOf(t, bad, 'fcm', 'dead')).attempts).toBe(1);
    expect(await devicesOf(v.cookie)).toHaveLength(1);
  });

  it('fetches a new access token when Google revokes the cached one, and retries when the token endpoint fails', async () => {
    const u = await person(t);
    const phone = fcm.device();
    await register(u.cookie, { provider: 'fcm', token: phone, platform: 'ios' });
    fcm.revokeAccessTokens();
    const grants = fcm.tokenGrants;
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'fresh' }, channels: ['fcm'] })).json().id;
    expect((await statusOf(t, id, 'fcm', 'sent')).attempts).toBe(1);
    expect(fcm.tokenGrants).toBe(grants + 1);

    fcm.revokeAccessTokens();
    fcm.respondToken({ status: 503, body: { error: 'internal_failure' } }, { status: 503, body: { error: 'internal_failure' } });
    const later = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'after' }, channels: ['fcm'] })).json().id;
    const d = await statusOf(t, later, 'fcm', 'sent');
    expect(d.attempts).toBeGreaterThanOrEqual(2);
    expect(fcm.to(phone).filter((r) => r.message.data?.notificationId === later)).toHaveLength(1);
  });
});

describe('FCM service account', () => {
  it('reads the key from its JSON or a file path, and names a missing field', () => {
    const account = { type: 'service_account', project_id: 'p', client_email: 'a@p.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\n…' };
    expect(loadServiceAccount(JSON.stringify(account)).project_id).toBe('p');
    const file = join(mkdtempSync(join(tmpdir(), 'neptuno-fcm-')), 'key.json');
    writeFileSync(file, JSON.stringify(account));
    expect(loadServiceAccount(file).client_email).toBe(account.client_email);
    expect(() => loadServiceAccount(JSON.stringify({ ...account, private_key: undefined }))).toThrow(/"private_key" is missing/);
    expect(() => loadServiceAccount('{not json')).toThrow(/not valid JSON/);
  });

  it('stops start-up when the channel is on without a service account', async () => {
    const before = process.env.FCM_SERVICE_ACCOUNT;
    delete process.env.FCM_SERVICE_ACCOUNT;
    try {
      await expect(notificationsApp(targets[0], { workers: false, notifications: { channels: { fcm: { enabled: true } } } })).rejects.toThrow(/FCM_SERVICE_ACCOUNT/);
    } finally {
      if (before !== undefined) process.env.FCM_SERVICE_ACCOUNT = before;
    }
  });
});
