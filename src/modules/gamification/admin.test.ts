import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { GamificationConfigSchema, type GamificationConfig } from './config.js';
import { Definitions } from './definitions.js';
import type { GamDb } from './schema.js';
import { admin, Client, gamificationApp } from './testing.js';

describe.each(targets)('gamification definitions and admin CRUD on %s', (target) => {
  let t: TestApp;
  const put = (path: string, payload: unknown, headers = admin) =>
    t.app.inject({ method: 'PUT', url: `/v1/admin/gamification/${path}`, payload: payload as object, headers });
  const get = (path: string) => t.app.inject({ method: 'GET', url: `/v1/admin/gamification/${path}`, headers: admin });

  beforeAll(async () => {
    t = await gamificationApp(target);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('seeds yaml definitions, lists them paginated and guards the routes', async () => {
    const page = (await get('event-types?limit=2')).json();
    expect(page.data).toHaveLength(2);
    expect(page.data[0]).toMatchObject({ source: 'yaml', definition: expect.any(Object) });
    const next = (await get(`event-types?limit=100&cursor=${page.nextCursor}`)).json();
    expect(next.data.length).toBeGreaterThan(2);
    expect((await get('levels/gold')).json()).toMatchObject({ key: 'gold', definition: { threshold: 1000 } });
    expect((await get('levels/nope')).statusCode).toBe(404);

    const guest = await Client.guest(t);
    const asGuest = await t.app.inject({ method: 'GET', url: '/v1/admin/gamification/badges', headers: guest.headers });
    expect(asGuest.statusCode).toBe(401);
    const asUser = await t.app.inject({ method: 'GET', url: '/v1/admin/gamification/badges', headers: { 'x-test-user': 'u1' } });
    expect(asUser.statusCode).toBe(403);
  });

  it('defines a new badge at run time and awards it on the next events, without a restart', async () => {
    // Another replica's view of the definitions: it hears the change through pub/sub.
    const replica = new Definitions(t.ctx.db as unknown as GamDb, t.ctx.pubsub, t.ctx.log, Value.Default(GamificationConfigSchema, {}) as GamificationConfig);
    await replica.start();
    try {
      const created = await put('badges/tapper', { names: { es: 'Tocón', en: 'Tapper' }, imageUrl: 'https://cdn.example/tapper.png', rule: { type: 'count', event: 'tap', min: 3 }, reward: { points: 5 } });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ key: 'tapper', source: 'admin' });

      const c = await Client.guest(t);
      const catalog = await c.get('/badges');
      expect(catalog.data.find((b: { key: string }) => b.key === 'tapper')).toMatchObject({ name: 'Tocón', earned: false, progress: { current: 0, target: 3 } });
      const out = await c.post({ events: [{ type: 'tap' }, { type: 'tap' }, { type: 'tap' }] });
      expect(out.json().badges).toMatchObject([{ key: 'tapper', name: 'Tocón', imageUrl: 'https://cdn.example/tapper.png' }]);
      expect(out.json().points).toEqual({ awarded: 8, total: 8 });

      await expect.poll(() => replica.current.badges.has('tapper')).toBe(true);
      const replaced = await put('badges/tapper', { names: { en: 'Tapper' }, rule: { type: 'count', event: 'tap', min: 5 } });
      expect(replaced.statusCode).toBe(200);
      await expect.poll(() => (replica.current.badges.get('tapper')?.rule as { min?: number })?.min).toBe(5);
    } finally {
      await replica.stop();
    }
  });

  it('refuses negative points, unknown references and malformed bodies with 400', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['event-types/negative', { points: -5 }, '/body/points'],
      ['event-types/bad', { points: 1, dailyCap: 0 }, '/body/dailyCap'],
      ['badges/orphan', { names: { en: 'x' }, rule: { type: 'count', event: 'missing', min: 1 } }, '/body/rule/event'],
      ['badges/lvl', { names: { en: 'x' }, rule: { type: 'level', level: 'diamond' } }, '/body/rule/level'],
      ['challenges/c1', { names: { en: 'x' }, steps: [{ event: 'missing', count: 1 }] }, '/body/steps/0/event'],
      ['challenges/c2', { names: { en: 'x' }, steps: [{ event: 'tap', count: 1 }], reward: { points: -1 } }, '/body/reward/points'],
      ['challenges/c3', { names: { en: 'x' }, steps: [{ event: 'tap', count: 1 }], startsAt: '2030-01-02T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' }, '/body/endsAt'],
      ['levels/l1', { threshold: -1, names: { en: 'x' } }, '/body/threshold'],
      ['levels/Bad Key', { threshold: 1, names: { en: 'x' } }, '/params/key'],
    ];
    for (const [path, body, pointer] of cases) {
      const res = await put(path, body);
      expect(res.statusCode, path).toBe(400);
      expect(res.json().errors.map((e: { pointer: string }) => e.pointer), path).toContain(pointer);
    }
    expect((await get('event-types/negative')).statusCode).toBe(404);
  });

  it('keeps admin edits and deletions over yaml on the next start; yaml still updates untouched rows', async () => {
    expect((await put('event-types/share', { points: 70, dailyCap: 5 })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/admin/gamification/event-types/quiz_completed', headers: admin })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/admin/gamification/event-types/quiz_completed', headers: admin })).statusCode).toBe(404);

    // A restart with an edited neptuno.yaml: share, quiz_completed and visit_page changed there.
    const yaml = Value.Default(GamificationConfigSchema, {}) as GamificationConfig;
    yaml.eventTypes.share = { points: 20 };
    yaml.eventTypes.visit_page = { points: 8 };
    const restarted = new Definitions(t.ctx.db as unknown as GamDb, t.ctx.pubsub, t.ctx.log, yaml);
    await restarted.seed();
    await restarted.reload();
    expect(restarted.current.eventTypes.get('share')).toEqual({ points: 70, dailyCap: 5 });
    expect(restarted.current.eventTypes.has('quiz_completed')).toBe(false);
    expect(restarted.current.eventTypes.get('visit_page')).toEqual({ points: 8 });

    const types = await (await Client.guest(t)).get('/event-types');
    expect(types.data.find((e: { key: string }) => e.key === 'share').points).toBe(70);
    expect(types.data.some((e: { key: string }) => e.key === 'quiz_completed')).toBe(false);
    // A deleted type is now unknown to clients.
    const res = await (await Client.guest(t)).post({ type: 'quiz_completed' });
    expect(res.statusCode).toBe(400);
    // Recreating it through the admin brings it back.
    expect((await put('event-types/quiz_completed', { points: 1 })).statusCode).toBe(201);
  });
});
