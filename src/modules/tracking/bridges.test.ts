import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { recordEvents } from '../../testing/events.js';
import { headerUser } from '../../testing/header-users.js';
import { TestSocket } from '../../testing/realtime.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import gamification from '../gamification/module.js';
import { ADMIN_TOKEN, CHROME, page, send, service, setClock, trackingTestApp } from './testing.js';

describe.each(targets)('tracking bridges on $name', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await trackingTestApp(target, {
      modules: [gamification],
      config: {
        server: { port: 0 },
        modules: {
          gamification: {
            eventTypes: {
              visit_page: { points: 5, dailyCap: 2, names: { es: 'Visitar', en: 'Visit' } },
              share: { points: 50, names: { es: 'Compartir', en: 'Share' } },
            },
          },
          tracking: { gamification: { pageview: 'visit_page', 'click:share': 'share' }, serverRoutes: ['POST /v1/gamification/events'] },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const points = async (id: string) => (await t.ctx.services.gamification.me({ type: 'user', id }, 'en')).points.total;

  it('awards gamification points for mapped tracking events, within the caps, once per event', async () => {
    setClock(t, new Date().toISOString());
    const events = recordEvents(t);
    for (let i = 0; i < 3; i++) expect((await send(t, { type: 'pageview', url: page(t, `/p${i}`) }, { headers: headerUser('fan') })).statusCode).toBe(202);
    expect((await send(t, { type: 'click', name: 'share', url: page(t, '/') }, { headers: headerUser('fan') })).statusCode).toBe(202);
    // Anonymous visitors have no player to award.
    expect((await send(t, { type: 'pageview', url: page(t, '/') }, { ip: '10.3.3.3' })).statusCode).toBe(202);
    expect(events.names().filter((n) => n === 'tracking.goal')).toHaveLength(4);
    await events.settled();
    // visit_page is capped at 2 a day: 10, plus 50 for sharing.
    expect(await points('fan')).toBe(60);

    // A redelivered goal (same tracking event id) awards nothing more.
    const goal = events.payloads('tracking.goal').find((g) => g.gamificationType === 'share')!;
    await t.ctx.tx(async (trx) => void trx.emit('tracking.goal', goal));
    await events.settled();
    expect(await points('fan')).toBe(60);
  });

  it('records API calls of the configured routes as `api` events (server-side middleware)', async () => {
    // The kernel's API-call hooks only look at requests carrying a credential header (a cookie here;
    // the test resolver reads x-test-user).
    const caller = { ...headerUser('caller'), cookie: 'theme=dark', 'user-agent': 'curl/8.5' };
    const res = await t.app.inject({ method: 'POST', url: '/v1/gamification/events', headers: caller, payload: { type: 'share', id: 's-1' } });
    expect(res.statusCode, res.body).toBe(200);
    const row = await waitFor(
      () => t.ctx.db.selectFrom('tracking_events' as never).select(['type' as never, 'name' as never, 'path' as never, 'user_id' as never, 'props' as never]).where('user_id' as never, '=', 'caller' as never).executeTakeFirst(),
      'the api event',
    );
    expect(row).toEqual({ type: 'api', name: 'POST /v1/gamification/events', path: '/v1/gamification/events', user_id: 'caller', props: '{"status":200}' });
    // Other routes are not recorded.
    await t.app.inject({ method: 'GET', url: '/v1/gamification/me', headers: caller });
    const names = await t.ctx.db.selectFrom('tracking_events' as never).select('name' as never).where('user_id' as never, '=', 'caller' as never).execute();
    expect(names).toHaveLength(1);
  });

  it('links a guest\'s events to the account it became (guest.merged)', async () => {
    expect((await service(t).ingest({ ip: '10.4.4.4', userAgent: CHROME, optedOut: false, userId: null, guestId: 'g-merge' }, [{ type: 'pageview', url: page(t, '/') }], { rateLimit: false })).accepted).toBe(1);
    await t.ctx.events.emit('guest.merged', { guestId: 'g-merge', userId: 'u-merged' });
    const rows = await t.ctx.db.selectFrom('tracking_events' as never).select(['guest_id' as never, 'user_id' as never]).where('guest_id' as never, '=', 'g-merge' as never).execute();
    expect(rows).toEqual([{ guest_id: 'g-merge', user_id: 'u-merged' }]);
    expect(await t.ctx.privacy.exportUser('u-merged')).toMatchObject({ tracking: [{ type: 'pageview', path: '/' }] });
    await t.ctx.events.emit('user.deleted', { userId: 'u-merged' });
    expect(await t.ctx.db.selectFrom('tracking_events' as never).select('id' as never).where('user_id' as never, '=', 'u-merged' as never).execute()).toEqual([]);
  });

  it('pushes live visitors on the admin channel, throttled to changes', async () => {
    const base = await t.neptuno.listen();
    const ws = await TestSocket.open(base, { authorization: `Bearer ${ADMIN_TOKEN}` });
    ws.send({ type: 'subscribe', channel: 'admin' });
    await ws.next('subscribed');
    setClock(t, new Date().toISOString());
    await send(t, { type: 'pageview', url: page(t, '/live-a') }, { ip: '10.5.1.1' });
    await send(t, { type: 'pageview', url: page(t, '/live-a') }, { ip: '10.5.2.1' });
    await send(t, { type: 'pageview', url: page(t, '/live-b') }, { ip: '10.5.3.1' });
    expect(await service(t).live.tick()).toBe(true);
    const msg = await ws.next('message', (f) => f.data?.event === 'tracking.live');
    expect(msg.data.visitors).toBeGreaterThanOrEqual(3);
    expect(msg.data.pages).toEqual(expect.arrayContaining([{ path: '/live-a', visitors: 2 }, { path: '/live-b', visitors: 1 }]));
    // Nothing changed: nothing sent (the lock of the last tick also holds other replicas back).
    expect(await service(t).live.tick()).toBe(false);
    // Ten minutes later everyone has left.
    setClock(t, new Date(Date.now() + 10 * 60_000).toISOString());
    expect(await service(t).live.tick({ force: true })).toBe(true);
    expect((await ws.next('message', (f) => f.data?.event === 'tracking.live')).data).toMatchObject({ visitors: 0, pages: [] });
    ws.ws.close();
    const live = await t.app.inject({ method: 'GET', url: '/v1/admin/tracking/live', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(live.json()).toEqual({ visitors: 0, pages: [], windowMinutes: 5 });
  });

  it('serves the browser script under 2 KB gzipped, at a content-hashed URL cached for a year', async () => {
    const path = service(t).scriptPath;
    expect(path).toMatch(/^\/v1\/public\/tracking\/script\/[0-9a-f]{16}\.js$/);
    const res = await t.app.inject({ method: 'GET', url: path, headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.rawPayload.length).toBeLessThan(2048);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // Landing pages live on other sites: the script may be loaded from anywhere.
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const source = gunzipSync(res.rawPayload).toString();
    expect(source).toContain('sendBeacon');
    expect(source).not.toContain('__HEARTBEAT__');
    const plain = await t.app.inject({ method: 'GET', url: '/v1/public/tracking/script.js' });
    expect(plain.body).toBe(source);
    expect(plain.headers['cache-control']).toBe('public, max-age=300');
    const again = await t.app.inject({ method: 'GET', url: path, headers: { 'if-none-match': res.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    const old = await t.app.inject({ method: 'GET', url: '/v1/public/tracking/script/0123456789abcdef.js' });
    expect(old.statusCode).toBe(302);
    expect(old.headers.location).toBe(path);
  });
});
