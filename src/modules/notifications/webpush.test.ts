import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createECDH, randomBytes } from 'node:crypto';
import { createTestApp, TEST_SECRET, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { CookieJar, TEST_ORIGIN } from '../../testing/auth.js';
import { settle } from '../../testing/events.js';
import { waitFor } from '../../testing/wait.js';
import auth from '../auth/module.js';
import guests from '../guests/module.js';
import users from '../users/module.js';
import notifications from './module.js';
import { typedDb } from '../../core/db/dialect.js';
import type { PushTables } from './push-schema.js';
import { VapidKeyStore } from './webpush-keys.js';
import { FakePushService, type FakeBrowserSubscription } from './testing/push-service.js';
import { admin, notificationsApp, person, send, statusOf } from './testing.js';

/**
 * Web push end to end against a local push service that checks the VAPID JWT and decrypts the
 * aes128gcm body with the browser's private key (testing/push-service.ts): keys kept in the
 * database and shared by replicas, subscriptions of users and guests, gone subscriptions
 * removed, failures retried without pushing twice to the browsers already reached.
 */
describe.each(targets)('notifications: web push on %s', (target) => {
  let t: TestApp;
  let fake: FakePushService;

  beforeAll(async () => {
    fake = await FakePushService.start();
    t = await notificationsApp(target, {
      notifications: {
        quietHours: { enabled: false },
        channels: {
          inapp: { enabled: true },
          email: { enabled: true },
          webpush: { enabled: true, subject: 'mailto:ops@neptuno.test', allowedHosts: ['127.0.0.1'], ca: fake.ca, ttlSeconds: 3600, retry: { attempts: 3, backoffMs: 20, maxBackoffMs: 100 } },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const subscribe = (headers: Record<string, string>, sub: Pick<FakeBrowserSubscription, 'endpoint' | 'keys'>, extra: Record<string, unknown> = {}) =>
    t.app.inject({ method: 'POST', url: '/v1/notifications/webpush/subscriptions', headers: { origin: TEST_ORIGIN, ...headers }, payload: { endpoint: sub.endpoint, keys: sub.keys, expirationTime: null, ...extra } });
  const publicKey = async (app = t) => {
    const res = await app.app.inject({ method: 'GET', url: '/v1/public/notifications/webpush-key' });
    expect(res.statusCode).toBe(200);
    return res.json().publicKey as string;
  };

  it('serves one VAPID public key, kept in the database and shared by a replica', async () => {
    const key = await publicKey();
    const raw = Buffer.from(key, 'base64url');
    expect(raw).toHaveLength(65);
    expect(raw[0]).toBe(4);
    const replica = await createTestApp({ target, replicaOf: t, modules: [auth, guests, users, notifications] });
    try {
      expect(await publicKey(replica)).toBe(key);
    } finally {
      await replica.close();
    }
    // The private key is not stored in the clear.
    const row = await typedDb<PushTables>(t.ctx).selectFrom('notif_vapid_keys').selectAll().executeTakeFirstOrThrow();
    expect(row.public_key).toBe(key);
    expect(row.private_key).toMatch(/^v1\./);
  });

  it('delivers an encrypted, VAPID-signed message the push service decrypts, to every browser of the user', async () => {
    const u = await person(t, { locale: 'en' });
    const [laptop, phone] = [fake.subscribe(), fake.subscribe()];
    const first = await subscribe({ cookie: u.cookie }, laptop);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ endpoint: laptop.endpoint });
    // The same browser again: one row, 200.
    const again = await subscribe({ cookie: u.cookie }, laptop);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect((await subscribe({ cookie: u.cookie }, phone)).statusCode).toBe(201);
    const list = (await t.app.inject({ method: 'GET', url: '/v1/notifications/webpush/subscriptions', headers: { cookie: u.cookie } })).json().data;
    expect(list.map((s: { endpoint: string }) => s.endpoint).sort()).toEqual([laptop.endpoint, phone.endpoint].sort());

    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'push' }, channels: ['webpush'] })).json().id;
    const d = await statusOf(t, id, 'webpush', 'sent');
    expect(d.attempts).toBe(1);
    await waitFor(() => fake.to(laptop.id).length === 1 && fake.to(phone.id).length === 1, 'both browsers');
    expect(fake.rejected).toEqual([]);
    const [msg] = fake.to(laptop.id);
    expect(msg.payload).toEqual({ title: 'Offer: push', body: 'Grab push.', url: 'https://shop.example/push', type: 'promo', notificationId: id, lang: 'en', critical: false });
    expect(msg.vapidKey).toBe(await publicKey());
    expect(msg.claims).toMatchObject({ aud: fake.origin, sub: 'mailto:ops@neptuno.test' });
    expect(msg.ttl).toBe(3600);
    expect(msg.urgency).toBe('normal');

    // Critical sends ask the push service for high urgency.
    const critical = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'now' }, channels: ['webpush'], critical: true })).json().id;
    await statusOf(t, critical, 'webpush', 'sent');
    expect(fake.to(phone.id).find((m) => (m.payload as { notificationId: string }).notificationId === critical)?.urgency).toBe('high');
  });

  it('removes a subscription the push service says is gone (410), and bounces when none is left', async () => {
    const u = await person(t);
    const browser = fake.subscribe();
    expect((await subscribe({ cookie: u.cookie }, browser)).statusCode).toBe(201);
    fake.respond(browser.id, { status: 410 });
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'gone' }, channels: ['webpush'] })).json().id;
    const d = await statusOf(t, id, 'webpush', 'bounced');
    expect(d.attempts).toBe(1);
    expect((await t.app.inject({ method: 'GET', url: '/v1/notifications/webpush/subscriptions', headers: { cookie: u.cookie } })).json().data).toEqual([]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/neptuno_notification_push_targets_removed_total\{channel="webpush",reason="gone"\} [1-9]/);
    expect(metrics).toMatch(/neptuno_notification_deliveries_total\{channel="webpush",status="bounced"\} [1-9]/);
    // Nobody left to reach: the next send makes no web push delivery at all.
    const next = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'nobody' }, channels: ['webpush', 'inapp'] })).json().id;
    await statusOf(t, next, 'inapp', 'delivered');
    const rows = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries?notificationId=${next}`, headers: admin })).json().data;
    expect(rows.map((r: { channel: string }) => r.channel)).toEqual(['inapp']);
  });

  it('retries a failing push service (honouring Retry-After) without pushing twice to the browser already reached', async () => {
    const u = await person(t);
    const [ok, flaky] = [fake.subscribe(), fake.subscribe()];
    await subscribe({ cookie: u.cookie }, ok);
    await subscribe({ cookie: u.cookie }, flaky);
    fake.respond(flaky.id, { status: 503, headers: { 'retry-after': '0' } }, { status: 429 });
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'retry' }, channels: ['webpush'] })).json().id;
    const d = await statusOf(t, id, 'webpush', 'sent');
    expect(d.attempts).toBe(3);
    expect(fake.to(ok.id)).toHaveLength(1);
    expect(fake.to(flaky.id)).toHaveLength(1);
    const log = (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${d.id}`, headers: admin })).json().attemptsLog;
    expect(log.map((a: { status: string }) => a.status)).toEqual(['queued', 'failed', 'failed', 'sent']);
    expect(log[1].error).toMatch(/1 of 2 targets failed, retrying: 503/);
    expect(log[2].error).toMatch(/1 of 1 targets failed, retrying: 429/);

    // A push service that keeps failing: dead after the channel's attempts.
    const stuck = fake.subscribe();
    const v = await person(t);
    await subscribe({ cookie: v.cookie }, stuck);
    fake.respond(stuck.id, { status: 500 }, { status: 500 }, { status: 500 });
    const dead = (await send(t, { to: { userId: v.userId }, type: 'promo', data: { offer: 'dead' }, channels: ['webpush'] })).json().id;
    expect((await statusOf(t, dead, 'webpush', 'dead')).attempts).toBe(3);
  });

  it('reaches guests, and their browsers follow them when they sign up', async () => {
    const jar = new CookieJar();
    const created = await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { origin: TEST_ORIGIN } });
    jar.store(created);
    const guestId = created.json().id as string;
    const browser = fake.subscribe();
    expect((await subscribe({ cookie: jar.header() }, browser)).statusCode).toBe(201);
    const id = (await send(t, { to: { guestId }, type: 'promo', data: { offer: 'guest' }, channels: ['webpush'] })).json().id;
    await statusOf(t, id, 'webpush', 'sent');
    expect(fake.to(browser.id)).toHaveLength(1);

    const u = await person(t);
    expect(await t.ctx.services.guests.merge(guestId, u.userId)).toBe(true);
    await settle(t);
    const mine = (await t.app.inject({ method: 'GET', url: '/v1/notifications/webpush/subscriptions', headers: { cookie: u.cookie } })).json().data;
    expect(mine.map((s: { endpoint: string }) => s.endpoint)).toEqual([browser.endpoint]);
  });

  it('moves a browser to the account that subscribes it last, and unsubscribes by endpoint or id', async () => {
    const [a, b] = [await person(t), await person(t)];
    const shared = fake.subscribe();
    const first = (await subscribe({ cookie: a.cookie }, shared)).json();
    const moved = await subscribe({ cookie: b.cookie }, shared);
    expect(moved.statusCode).toBe(200);
    expect(moved.json().id).toBe(first.id);
    const listOf = async (c: string) => (await t.app.inject({ method: 'GET', url: '/v1/notifications/webpush/subscriptions', headers: { cookie: c } })).json().data;
    expect(await listOf(a.cookie)).toEqual([]);
    expect(await listOf(b.cookie)).toHaveLength(1);

    const del = (cookie: string, payload: unknown) => t.app.inject({ method: 'DELETE', url: '/v1/notifications/webpush/subscriptions', headers: { cookie, origin: TEST_ORIGIN }, payload: payload as object });
    expect((await del(a.cookie, { endpoint: shared.endpoint })).statusCode).toBe(404);
    expect((await del(b.cookie, { endpoint: shared.endpoint })).statusCode).toBe(204);
    expect(await listOf(b.cookie)).toEqual([]);

    const other = (await subscribe({ cookie: b.cookie }, fake.subscribe())).json();
    const byId = (cookie: string) => t.app.inject({ method: 'DELETE', url: `/v1/notifications/webpush/subscriptions/${other.id}`, headers: { cookie, origin: TEST_ORIGIN } });
    expect((await byId(a.cookie)).statusCode).toBe(404);
    expect((await byId(b.cookie)).statusCode).toBe(204);
  });

  it('refuses endpoints that are not https push services and keys that are not real, in the caller\'s language', async () => {
    const u = await person(t);
    const good = fake.subscribe();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ endpoint: good.endpoint.replace('https:', 'http:') }, 'webpush_endpoint_invalid', '/body/endpoint'],
      [{ endpoint: 'https://169.254.169.254/latest/meta-data' }, 'webpush_endpoint_invalid', '/body/endpoint'],
      [{ endpoint: 'https://user:pw@127.0.0.1/push/x' }, 'webpush_endpoint_invalid', '/body/endpoint'],
      [{ endpoint: 'not a url' }, 'webpush_endpoint_invalid', '/body/endpoint'],
      [{ keys: { ...good.keys, p256dh: Buffer.concat([Buffer.from([4]), randomBytes(64)]).toString('base64url') } }, 'webpush_keys_invalid', '/body/keys/p256dh'],
      [{ keys: { ...good.keys, p256dh: createECDH('prime256v1').generateKeys('base64url', 'compressed') } }, 'webpush_keys_invalid', '/body/keys/p256dh'],
      [{ keys: { ...good.keys, auth: randomBytes(8).toString('base64url') } }, 'webpush_keys_invalid', '/body/keys/auth'],
    ];
    for (const [override, code, pointer] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/notifications/webpush/subscriptions',
        headers: { cookie: u.cookie, origin: TEST_ORIGIN, 'accept-language': 'es' },
        payload: { endpoint: good.endpoint, keys: good.keys, ...override },
      });
      expect(res.statusCode, JSON.stringify(override)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json()).toMatchObject({ code, errors: [{ pointer }] });
      expect(res.json().title).toMatch(/no válida/);
    }
    const en = await t.app.inject({ method: 'POST', url: '/v1/notifications/webpush/subscriptions', headers: { cookie: u.cookie, origin: TEST_ORIGIN, 'accept-language': 'en' }, payload: { endpoint: 'http://x', keys: good.keys } });
    expect(en.json().title).toBe('Invalid subscription');
    expect((await t.app.inject({ method: 'GET', url: '/v1/notifications/webpush/subscriptions', headers: { cookie: u.cookie } })).json().data).toEqual([]);
    // Nobody, and the admin token (no browser of its own), cannot subscribe.
    expect((await t.app.inject({ method: 'POST', url: '/v1/notifications/webpush/subscriptions', payload: { endpoint: good.endpoint, keys: good.keys } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/v1/notifications/webpush/subscriptions', headers: admin, payload: { endpoint: good.endpoint, keys: good.keys } })).statusCode).toBe(403);
  });

  it('generates one key pair when replicas race on an empty table', async () => {
    const db = typedDb<PushTables>(t.ctx);
    const original = await db.selectFrom('notif_vapid_keys').selectAll().executeTakeFirstOrThrow();
    await db.deleteFrom('notif_vapid_keys').execute();
    try {
      const stores = Array.from({ length: 6 }, () => new VapidKeyStore({ db: t.ctx.db, secret: TEST_SECRET }));
      const keys = await Promise.all(stores.map((s) => s.keys()));
      expect(new Set(keys.map((k) => k.publicKey)).size).toBe(1);
      expect(new Set(keys.map((k) => k.privateKey)).size).toBe(1);
      expect(await db.selectFrom('notif_vapid_keys').selectAll().execute()).toHaveLength(1);
      // Another secret cannot open the stored private key, and says why.
      await expect(new VapidKeyStore({ db: t.ctx.db, secret: 'another-secret-another-secret-0123456789' }).keys()).rejects.toThrow(/NEPTUNO_SECRET changed/);
    } finally {
      await db.deleteFrom('notif_vapid_keys').execute();
      await db.insertInto('notif_vapid_keys').values(original).execute();
    }
  });
});

describe.each(targets)('notifications: web push switched off on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await notificationsApp(target, { workers: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 404 push_channel_disabled and creates no keys', async () => {
    const key = await t.app.inject({ method: 'GET', url: '/v1/public/notifications/webpush-key', headers: { 'accept-language': 'en' } });
    expect(key.statusCode).toBe(404);
    expect(key.json()).toMatchObject({ code: 'push_channel_disabled', title: 'Channel not available' });
    const u = await person(t);
    const sub = { endpoint: 'https://fcm.googleapis.com/fcm/send/abc', keys: { p256dh: createECDH('prime256v1').generateKeys('base64url'), auth: randomBytes(16).toString('base64url') } };
    const res = await t.app.inject({ method: 'POST', url: '/v1/notifications/webpush/subscriptions', headers: { cookie: u.cookie, origin: TEST_ORIGIN }, payload: sub });
    expect(res.statusCode).toBe(404);
    expect(await typedDb<PushTables>(t.ctx).selectFrom('notif_vapid_keys').selectAll().execute()).toEqual([]);
    const send422 = await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'x' }, channels: ['webpush'] });
    expect(send422.statusCode).toBe(422);
  });
});
