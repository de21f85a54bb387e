import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { createTestApp } from '../../testing/app.js';
import { headerUser } from '../../testing/header-users.js';
import { targets } from '../../testing/targets.js';
import { newId } from '../../core/ids.js';
import { recordOf } from './events.js';
import { adminGet, CHROME, FIREFOX, page, send, service, setClock, trackingTestApp } from './testing.js';

const A = { ip: '203.0.113.7', ua: CHROME };
const B = { ip: '198.51.100.20', ua: FIREFOX };
const C = { ip: '192.0.2.1', ua: CHROME };

const TABLES = ['tracking_events', 'tracking_salts', 'tracking_day_visitors', 'tracking_hour_visitors', 'tracking_dim_visitors', 'tracking_hourly', 'tracking_daily', 'tracking_live'];

describe.each(targets)('tracking ingestion and summary on $name', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await trackingTestApp(target, { config: { modules: { tracking: { limits: { props: 3, propsBytes: 256 } } } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const count = async (table: string) => Number((await t.ctx.db.selectFrom(table as 'tracking_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('records page views, clicks and time on page, and the rollups answer exactly', async () => {
    setClock(t, '2026-11-10T10:15:00Z');
    const a1 = await send(
      t,
      {
        events: [
          { type: 'pageview', url: page(t, '/?utm_source=News&utm_medium=email&utm_campaign=fair'), referrer: 'https://www.google.com/search?q=neptuno' },
          { type: 'click', url: page(t, '/'), name: 'cta', props: { plan: 'pro' } },
          { type: 'engagement', url: page(t, '/'), duration: 12_000 },
        ],
      },
      A,
    );
    expect(a1.statusCode, a1.body).toBe(202);
    expect(a1.json()).toEqual({ accepted: 3 });
    // sendBeacon's form: text/plain, one event at the top level.
    const b1 = await send(t, JSON.stringify({ type: 'pageview', url: page(t, '/') }), { ...B, headers: { 'content-type': 'text/plain;charset=UTF-8' } });
    expect(b1.statusCode, b1.body).toBe(202);
    expect((await send(t, { type: 'pageview', url: page(t, '/pricing'), referrer: page(t, '/') }, B)).statusCode).toBe(202);
    expect((await send(t, { type: 'pageview', url: page(t, '/pricing') }, A)).statusCode).toBe(202);
    expect((await send(t, { type: 'pageview', url: page(t, '/') }, C)).statusCode).toBe(202);

    const day = await adminGet(t, '/v1/admin/tracking/summary?from=2026-11-10&to=2026-11-11');
    // 5 views by 3 visitors; C saw one page and did nothing else: 1 bounce of 3 visits; 12 s over 5 views.
    expect(day).toMatchObject({ views: 5, visitors: 3, events: 1, visits: 3, bounceRate: 0.3333, avgTimeOnPageMs: 2400 });
    const hour = await adminGet(t, '/v1/admin/tracking/summary?from=2026-11-10T10:00:00Z&to=2026-11-10T11:00:00Z');
    expect(hour).toMatchObject({ views: 5, visitors: 3, events: 1 });
    expect(await adminGet(t, '/v1/admin/tracking/summary?from=2026-11-10T11:00:00Z&to=2026-11-10T12:00:00Z')).toMatchObject({ views: 0, visitors: 0 });

    const pages = (await adminGet(t, '/v1/admin/tracking/pages?from=2026-11-10&to=2026-11-11')).data;
    expect(pages).toEqual([
      { value: '/', views: 3, visitors: 3, events: 1, avgTimeOnPageMs: 4000, entries: 3, bounceRate: 0.3333 },
      { value: '/pricing', views: 2, visitors: 2, events: 0, avgTimeOnPageMs: 0, entries: 0, bounceRate: 0 },
    ]);
    // The internal referrer (the site's own page) is not a referrer.
    expect((await adminGet(t, '/v1/admin/tracking/referrers?from=2026-11-10&to=2026-11-11')).data).toEqual([{ value: 'google.com', views: 1, visitors: 1, events: 0 }]);
    expect((await adminGet(t, '/v1/admin/tracking/campaigns?from=2026-11-10&to=2026-11-11')).data).toEqual([{ value: 'fair', views: 1, visitors: 1, events: 0 }]);
    expect((await adminGet(t, '/v1/admin/tracking/campaigns?from=2026-11-10&to=2026-11-11&by=source')).data).toEqual([{ value: 'news', views: 1, visitors: 1, events: 0 }]);
    expect((await adminGet(t, '/v1/admin/tracking/events?from=2026-11-10&to=2026-11-11')).data).toEqual([{ value: 'cta', views: 0, visitors: 1, events: 1 }]);
    expect((await adminGet(t, '/v1/admin/tracking/events/cta/properties?from=2026-11-10&to=2026-11-11')).data).toEqual([{ key: 'plan', value: 'pro', events: 1, visitors: 1 }]);

    // An hour later A comes back; the next day A is a new visitor (the salt changed).
    setClock(t, '2026-11-10T11:30:00Z');
    await send(t, { type: 'pageview', url: page(t, '/') }, A);
    setClock(t, '2026-11-11T09:00:00Z');
    await send(t, { type: 'pageview', url: page(t, '/') }, A);
    expect(await adminGet(t, '/v1/admin/tracking/summary?from=2026-11-10&to=2026-11-11')).toMatchObject({ views: 6, visitors: 3, visits: 3 });
    expect(await adminGet(t, '/v1/admin/tracking/summary?from=2026-11-10T10:00:00Z&to=2026-11-10T12:00:00Z')).toMatchObject({ views: 6, visitors: 3 });
    expect(await adminGet(t, '/v1/admin/tracking/summary?from=2026-11-10T11:00:00Z&to=2026-11-11T10:00:00Z')).toMatchObject({ views: 2, visitors: 2 });
    expect(await adminGet(t, '/v1/admin/tracking/summary?from=2026-11-10&to=2026-11-12')).toMatchObject({ views: 7, visitors: 4 });

    const hours = await adminGet(t, '/v1/admin/tracking/timeseries?interval=hour&from=2026-11-10T10:00:00Z&to=2026-11-10T13:00:00Z');
    expect(hours.data).toEqual([
      { at: '2026-11-10T10:00:00.000Z', views: 5, visitors: 3, events: 1 },
      { at: '2026-11-10T11:00:00.000Z', views: 1, visitors: 1, events: 0 },
      { at: '2026-11-10T12:00:00.000Z', views: 0, visitors: 0, events: 0 },
    ]);
    const days = await adminGet(t, '/v1/admin/tracking/timeseries?interval=day&from=2026-11-09&to=2026-11-12');
    expect(days.data.map((d: { views: number; visitors: number }) => [d.views, d.visitors])).toEqual([[0, 0], [6, 3], [1, 1]]);

    // Same IP and browser, two days: two unrelated ids.
    const ids = await t.ctx.db.selectFrom('tracking_events' as never).select(['visitor' as never, 'hour' as never]).execute();
    const aIds = new Set((ids as Array<{ visitor: string; hour: string }>).map((r) => `${r.hour.slice(0, 10)} ${r.visitor}`));
    expect(new Set([...aIds].map((s) => s.split(' ')[1])).size).toBe(4);
  });

  it('never stores an IP address: every text column of every tracking table is scanned', async () => {
    for (const table of TABLES) {
      const rows = await t.ctx.db.selectFrom(table as 'tracking_events').selectAll().execute();
      const text = JSON.stringify(rows);
      for (const ip of [A.ip, B.ip, C.ip]) {
        expect(text, table).not.toContain(ip);
        expect(text, table).not.toContain(ip.split('.').slice(0, 3).join('.'));
      }
    }
  });

  it('rotates the daily salt: one per day, shared; past days deleted by the prune cron', async () => {
    const salts = await t.ctx.db.selectFrom('tracking_salts' as never).select(['day' as never]).orderBy('day' as never).execute();
    expect(salts.map((r) => (r as { day: string }).day)).toEqual(['2026-11-10', '2026-11-11']);
    setClock(t, '2026-11-12T00:07:00Z');
    await service(t).prune();
    expect(await count('tracking_salts')).toBe(0);
    // The same visitor on the new day: a new salt, a new id.
    await send(t, { type: 'pageview', url: page(t, '/') }, A);
    const salt = await t.ctx.db.selectFrom('tracking_salts' as never).select(['day' as never]).execute();
    expect(salt).toEqual([{ day: '2026-11-12' }]);
  });

  it('refuses untrusted origins, unknown senders and bad events with problem+json, writing nothing', async () => {
    setClock(t, '2026-11-12T08:00:00Z');
    const before = await count('tracking_events');
    const evil = await send(t, { type: 'pageview', url: 'https://evil.example/' }, { headers: { origin: 'https://evil.example', 'accept-language': 'es' } });
    expect(evil.statusCode).toBe(403);
    expect(evil.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(evil.json()).toMatchObject({ code: 'tracking_origin_rejected', title: 'Origen no autorizado' });
    const none = await t.app.inject({ method: 'POST', url: '/v1/tracking/events', headers: { 'user-agent': CHROME }, payload: { type: 'pageview', url: page(t, '/') } });
    expect(none.statusCode).toBe(403);
    expect(none.json().code).toBe('tracking_origin_rejected');

    const cases: Array<[unknown, string]> = [
      [{ type: 'pageview', url: 'not a url' }, '/body/url'],
      [{ type: 'pageview', url: 'javascript:alert(1)' }, '/body/url'],
      [{ events: [{ type: 'click', url: page(t, '/') }] }, '/body/events/0/name'],
      [{ events: [{ type: 'engagement', url: page(t, '/') }] }, '/body/events/0/duration'],
      [{ type: 'custom', name: 'x', url: page(t, '/'), props: { a: 1, b: 2, c: 3, d: 4 } }, '/body/props'],
      [{ type: 'custom', name: 'x', url: page(t, '/'), props: { a: 'x'.repeat(200), b: 'y'.repeat(200), c: 'z'.repeat(200), } }, '/body/props'],
      [{ type: 'custom', name: 'x', url: page(t, '/'), props: { nested: { a: 1 } } }, '/body/props/nested'],
      [{ type: 'pageview' }, '/body/url'],
      [{ type: 'visit', url: page(t, '/') }, '/body/type'],
    ];
    for (const [body, pointer] of cases) {
      const res = await send(t, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(body)).toContain(pointer);
    }
    const tooMany = await send(t, { events: Array.from({ length: 51 }, () => ({ type: 'pageview', url: page(t, '/') })) });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().code).toBe('tracking_batch_too_large');
    for (const raw of ['hello', '{"type":', '{"__proto__":{"x":1},"type":"pageview","url":"https://a.b/"}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]']) {
      const res = await send(t, raw, { headers: { 'content-type': 'text/plain' } });
      expect(res.statusCode, raw).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect(await count('tracking_events')).toBe(before);
  });

  it('drops bots and visitors asking not to be tracked (DNT, GPC) without storing anything', async () => {
    const before = await count('tracking_events');
    const bot = await send(t, { type: 'pageview', url: page(t, '/') }, { ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' });
    expect(bot.json()).toEqual({ accepted: 0, ignored: 'bot' });
    expect((await send(t, { type: 'pageview', url: page(t, '/') }, { ua: '' })).json()).toEqual({ accepted: 0, ignored: 'bot' });
    expect((await send(t, { type: 'pageview', url: page(t, '/') }, { headers: { dnt: '1' } })).json()).toEqual({ accepted: 0, ignored: 'opted_out' });
    expect((await send(t, { type: 'pageview', url: page(t, '/') }, { headers: { 'sec-gpc': '1' } })).json()).toEqual({ accepted: 0, ignored: 'opted_out' });
    expect(await count('tracking_events')).toBe(before);
  });

  it('links a signed-in user, and a server with the admin token may send without an Origin', async () => {
    const res = await send(t, { type: 'custom', name: 'quiz_completed', url: page(t, '/quiz') }, { headers: headerUser('u-42') });
    expect(res.statusCode).toBe(202);
    const server = await t.app.inject({
      method: 'POST',
      url: '/v1/tracking/events',
      // A back end forwarding its visitor's browser.
      headers: { authorization: 'Bearer admin-token-for-tracking-tests-0123456789', 'user-agent': CHROME },
      payload: { type: 'custom', name: 'order_paid', url: page(t, '/checkout') },
    });
    expect(server.statusCode, server.body).toBe(202);
    const rows = await t.ctx.db.selectFrom('tracking_events' as never).select(['name' as never, 'user_id' as never]).where('name' as never, 'in', ['quiz_completed', 'order_paid'] as never).orderBy('name' as never).execute();
    expect(rows).toEqual([{ name: 'order_paid', user_id: null }, { name: 'quiz_completed', user_id: 'u-42' }]);
  });
});

describe.each(targets)('tracking under load on $name', (target) => {
  let t: TestApp;
  let replica: TestApp;
  beforeAll(async () => {
    t = await trackingTestApp(target, { config: { modules: { tracking: { limits: { requestsPerMinute: 5 } } } } });
    replica = await createTestApp({ target, replicaOf: t, modules: t.neptuno.modules });
  });
  afterAll(async () => {
    await replica?.close();
    await t?.close();
  });

  it('two replicas writing at once count every view and every visitor exactly once', async () => {
    for (const app of [t, replica]) setClock(app, '2026-11-20T15:00:00Z');
    const visitors = Array.from({ length: 10 }, (_, i) => ({ ip: `10.0.${i}.1`, ua: CHROME }));
    const sends = [];
    for (let round = 0; round < 4; round++) {
      for (const [i, v] of visitors.entries()) sends.push(send(round % 2 ? replica : t, { type: 'pageview', url: page(t, `/p${i % 3}`) }, v));
    }
    const answers = await Promise.all(sends);
    expect(answers.map((r) => r.statusCode)).toEqual(answers.map(() => 202));
    expect(await adminGet(t, '/v1/admin/tracking/summary?from=2026-11-20&to=2026-11-21')).toMatchObject({ views: 40, visitors: 10, visits: 10, bounceRate: 0 });
    expect(await adminGet(t, '/v1/admin/tracking/summary?from=2026-11-20T15:00:00Z&to=2026-11-20T16:00:00Z')).toMatchObject({ views: 40, visitors: 10 });
    const pages = (await adminGet(replica, '/v1/admin/tracking/pages?from=2026-11-20&to=2026-11-21')).data;
    expect(pages.map((p: { value: string; views: number; visitors: number }) => [p.value, p.views, p.visitors])).toEqual([
      ['/p0', 16, 4],
      ['/p1', 12, 3],
      ['/p2', 12, 3],
    ]);
  });

  it('rate limits one visitor (429 problem with Retry-After), across replicas when they share Redis', async () => {
    const v = { ip: '10.9.9.9', ua: FIREFOX };
    // Embedded, each process counts for itself (docs/drivers.md); with Redis the limit holds in total.
    const other = target.redisUrl ? replica : t;
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await send(i % 2 ? other : t, { type: 'pageview', url: page(t, '/') }, v));
    expect(answers.map((r) => r.statusCode)).toEqual([202, 202, 202, 202, 202, 429]);
    expect(answers[5]!.json().code).toBe('rate_limited');
    expect(Number(answers[5]!.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a stop writes every event already handed over before the database closes', async () => {
    setClock(t, '2026-11-21T10:00:00Z');
    const at = new Date('2026-11-21T10:00:00Z');
    const pending = Array.from({ length: 30 }, (_, i) =>
      service(t).writer.write([recordOf(newId(), { type: 'pageview', url: page(t, '/stop') }, { at, visitor: `v${i}`, country: null, userId: null, guestId: null })]),
    );
    await service(t).writer.stop();
    await Promise.all(pending);
    await expect(service(t).writer.write([recordOf(newId(), { type: 'pageview', url: page(t, '/') }, { at, visitor: 'late', country: null, userId: null, guestId: null })])).rejects.toThrow(/stopped/);
    expect(await adminGet(replica, '/v1/admin/tracking/summary?from=2026-11-21&to=2026-11-22')).toMatchObject({ views: 30, visitors: 30 });
  });
});
