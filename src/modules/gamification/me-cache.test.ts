import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { validUntil } from './me-cache.js';
import type { DefinitionSet } from './definitions.js';
import { admin, Client, gamificationApp } from './testing.js';
import guestsModule from '../guests/module.js';
import gamificationModule from './module.js';
import { settle } from '../../testing/events.js';

describe('validUntil', () => {
  const defs = (challenges: Array<{ startsAt?: string; endsAt?: string }>): DefinitionSet => ({
    eventTypes: new Map(),
    badges: new Map(),
    levels: [],
    challenges: new Map(challenges.map((c, i) => [`c${i}`, { steps: [{ event: 'x', count: 1 }], ...c }])) as DefinitionSet['challenges'],
  });
  const at = (iso: string) => Date.parse(iso);

  it('is the next UTC midnight without challenge boundaries before it', () => {
    expect(validUntil(defs([]), at('2030-03-04T22:10:00Z'))).toBe(at('2030-03-05T00:00:00Z'));
    expect(validUntil(defs([{ startsAt: '2030-03-01T00:00:00Z', endsAt: '2030-03-09T00:00:00Z' }]), at('2030-03-04T10:00:00Z'))).toBe(at('2030-03-05T00:00:00Z'));
  });

  it('stops at a challenge opening or closing later today', () => {
    expect(validUntil(defs([{ startsAt: '2030-03-04T15:30:00Z' }]), at('2030-03-04T10:00:00Z'))).toBe(at('2030-03-04T15:30:00Z'));
    expect(validUntil(defs([{ endsAt: '2030-03-04T12:00:00Z' }, { endsAt: '2030-03-04T11:00:00Z' }]), at('2030-03-04T10:00:00Z'))).toBe(at('2030-03-04T11:00:00Z'));
  });
});

describe.each(targets)('GET /me answers from the per-process cache on %s', (target) => {
  let t: TestApp;
  const svc = () => t.ctx.services.gamification;

  beforeAll(async () => {
    t = await gamificationApp(target);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is the same answer as the view, per locale, and changes with every award', async () => {
    const c = await Client.guest(t);
    await c.send('tap', 'm1');
    const es = await new Client(t, { ...c.headers, 'accept-language': 'es' }).get('/me');
    const en = await new Client(t, { ...c.headers, 'accept-language': 'en' }).get('/me');
    expect(es.level.name).toBe('Bronce');
    expect(en.level.name).toBe('Bronze');
    expect(await new Client(t, { ...c.headers, 'accept-language': 'es' }).get('/me')).toEqual(es);
    // The cached bytes are the route's own serialization of the view.
    expect(JSON.parse(JSON.stringify(await svc().me({ type: 'guest', id: c.id }, 'es')))).toMatchObject(es);

    await c.send('tap', 'm2');
    expect((await c.get('/me')).points.total).toBe(2);
    // Refused events write nothing; the answer stays right.
    await c.send('tap', 'm2');
    expect((await c.get('/me')).points.total).toBe(2);
    // Points given by the server (another module) also drop it.
    await svc().award({ type: 'guest', id: c.id }, 'big', { id: 'srv' });
    expect((await c.get('/me')).points.total).toBe(302);
  });

  it('reads again when the day turns (streak, weekly and monthly)', async () => {
    try {
      svc().now = () => new Date('2030-06-10T23:59:00Z');
      const c = await Client.guest(t);
      await c.send('tap', 'd1');
      const before = await c.get('/me');
      expect(before.streak).toMatchObject({ current: 1, active: true });
      expect(before.points.weekly).toBe(1);
      svc().now = () => new Date('2030-06-20T00:01:00Z'); // long gone, new week
      const after = await c.get('/me');
      expect(after.streak).toMatchObject({ current: 0, active: false });
      expect(after.points.weekly).toBe(0);
      expect(after.points.total).toBe(1);
    } finally {
      svc().now = () => new Date();
    }
  });

  it('follows an admin edit of the definitions at once', async () => {
    const c = await Client.guest(t);
    await c.send('tap', 'r1');
    expect((await c.get('/me')).level.name).toBe('Bronce');
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v1/admin/gamification/levels/bronze',
      headers: admin,
      payload: { threshold: 0, names: { es: 'Cobre', en: 'Copper' } },
    });
    expect(put.statusCode).toBe(200);
    expect((await c.get('/me')).level.name).toBe('Cobre');
  });

  it('drops the merged guest and the user at once', async () => {
    const c = await Client.guest(t);
    await c.send('big', 'g1');
    const user = Client.user(t, `merge-user-${c.id}`);
    await user.send('tap', 'u1');
    expect((await c.get('/me')).points.total).toBe(300);
    expect((await user.get('/me')).points.total).toBe(1);
    await t.ctx.services.guests.merge(c.id, user.id);
    await settle(t); // guest.merged has reached gamification
    expect((await user.get('/me')).points.total).toBe(301);
    expect((await t.app.inject({ method: 'GET', url: '/v1/gamification/me', headers: c.headers })).statusCode).toBe(401);
  });

  // Replicas share invalidations through pub/sub: Redis at scale. The embedded shape is one process.
  it(`an award on one replica drops the answer another replica cached ${target.redisUrl ? '(Redis pub/sub)' : '(no shared pub/sub: dropped locally only)'}`, async () => {
    const replica = await createTestApp({ target, modules: [guestsModule, gamificationModule], replicaOf: t });
    try {
      const c = await Client.guest(t);
      await c.send('tap', 'x1');
      const onReplica = new Client(replica, c.headers);
      expect((await onReplica.get('/me')).points.total).toBe(1);
      await c.send('tap', 'x2');
      if (target.redisUrl) {
        const deadline = Date.now() + 2000;
        let total = 1;
        while (total !== 2 && Date.now() < deadline) {
          total = (await onReplica.get('/me')).points.total;
          if (total !== 2) await new Promise((r) => setTimeout(r, 5));
        }
        expect(total).toBe(2);
      } else {
        // Without shared pub/sub (and with an in-process state cache) another process keeps its
        // answer until the 30 s TTL: the embedded shape is meant to run as one process.
        expect((await onReplica.get('/me')).points.total).toBe(1);
      }
    } finally {
      await replica.close();
    }
  });
});
