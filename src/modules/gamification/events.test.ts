import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { recordEvents } from '../../testing/events.js';
import { Client, gamificationApp, guestCookie } from './testing.js';

describe.each(targets)('gamification events on %s', (target) => {
  let t: TestApp;
  const svc = () => t.ctx.services.gamification;

  beforeAll(async () => {
    t = await gamificationApp(target);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('gives an anonymous caller a guest, points, a first-share badge and challenge progress', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/gamification/events', payload: { type: 'share', id: 'a1' } });
    expect(res.statusCode).toBe(200);
    const cookie = guestCookie(res);
    expect(cookie).toBeDefined();
    const out = res.json();
    expect(out.results).toEqual([{ type: 'share', id: 'a1', status: 'awarded', points: 50 }]);
    expect(out.points).toEqual({ awarded: 50, total: 50 });
    expect(out.badges.map((b: { key: string }) => b.key)).toEqual(['first_share']);
    expect(out.level).toMatchObject({ key: 'bronze' });
    expect(out.challenges).toEqual([
      {
        key: 'welcome',
        steps: [
          { event: 'share', count: 1, target: 1 },
          { event: 'visit_page', count: 0, target: 5 },
          { event: 'quiz_completed', count: 0, target: 1 },
        ],
        completed: false,
        justCompleted: false,
      },
    ]);
    expect(out.streak).toMatchObject({ current: 1, longest: 1 });

    const me = await new Client(t, { cookie: cookie!, 'accept-language': 'es' }).get('/me');
    expect(me.actor.type).toBe('guest');
    expect(me.points).toMatchObject({ total: 50, weekly: 50, monthly: 50, name: 'puntos' });
    expect(me.level).toEqual({ key: 'bronze', name: 'Bronce', threshold: 0 });
    expect(me.next).toMatchObject({ key: 'silver', name: 'Plata', pointsNeeded: 200, progress: 0.2 });
    expect(me.badges).toMatchObject([{ key: 'first_share', name: 'Primer compartido' }]);
    expect(me.challenges[0]).toMatchObject({ key: 'welcome', completed: false });
  });

  it('accepts an Idempotency-Key: a retried request awards once and gets the first answer', async () => {
    const c = await Client.guest(t);
    const key = { 'idempotency-key': 'batch-1' };
    const first = await c.post({ events: [{ type: 'tap' }, { type: 'tap' }] }, key);
    const again = await c.post({ events: [{ type: 'tap' }, { type: 'tap' }] }, key);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect((await c.get('/me')).points.total).toBe(2);
    expect((await c.post({ type: 'tap' }, key)).json().code).toBe('idempotency_key_reused');
  });

  it('awards an event id once, within a batch and across requests', async () => {
    const c = await Client.guest(t);
    const first = (await c.post({ events: [{ type: 'tap', id: 'x' }, { type: 'tap', id: 'x' }, { type: 'tap' }] })).json();
    expect(first.results.map((r: { status: string }) => r.status)).toEqual(['awarded', 'duplicate', 'awarded']);
    const again = await c.send('tap', 'x');
    expect(again.results[0]).toMatchObject({ status: 'duplicate', points: 0 });
    expect(again.points.total).toBe(2);
    // Ids are per player: another guest may use the same id.
    const other = await Client.guest(t);
    expect((await other.send('tap', 'x')).results[0].status).toBe('awarded');
  });

  it('holds daily caps, cooldowns and lifetime caps, and counts a new day afresh', async () => {
    const c = await Client.guest(t);
    const start = new Date('2030-01-10T10:00:00Z');
    svc().now = () => start;
    try {
      const shares = (await c.post({ events: Array.from({ length: 7 }, () => ({ type: 'share' })) })).json();
      expect(shares.results.filter((r: { status: string }) => r.status === 'awarded')).toHaveLength(5);
      expect(shares.results.slice(5).map((r: { status: string }) => r.status)).toEqual(['daily_cap', 'daily_cap']);

      expect((await c.send('visit_page')).results[0].status).toBe('awarded');
      expect((await c.send('visit_page')).results[0].status).toBe('cooldown');
      svc().now = () => new Date(start.getTime() + 61_000);
      expect((await c.send('visit_page')).results[0].status).toBe('awarded');

      svc().now = () => new Date('2030-01-11T09:00:00Z');
      expect((await c.send('share')).results[0].status).toBe('awarded');
      // signup_completed is server-only with a lifetime cap of one.
      const player = { type: 'guest' as const, id: c.id };
      expect((await svc().award(player, 'signup_completed')).results[0].status).toBe('awarded');
      expect((await svc().award(player, 'signup_completed')).results[0].status).toBe('lifetime_cap');
    } finally {
      svc().now = () => new Date();
    }
  });

  it('answers bad input with 4xx problems and writes nothing', async () => {
    const c = await Client.guest(t);
    await c.send('tap', 'seed');
    const cases: Array<[unknown, number, string, string?]> = [
      [{ type: 'nope' }, 400, 'unknown_event_type', '/body/type'],
      [{ events: [{ type: 'tap', id: 'n1' }, { type: 'nope' }] }, 400, 'unknown_event_type', '/body/events/1/type'],
      [{ type: 'signup_completed' }, 400, 'server_only_event', '/body/type'],
      [{ events: Array.from({ length: 101 }, () => ({ type: 'tap' })) }, 400, 'validation_failed', '/body/events'],
      [{ events: [] }, 400, 'validation_failed'],
      [{}, 400, 'events_required'],
      [{ type: 'tap', events: [{ type: 'tap' }] }, 400, 'events_required'],
      [{ type: 'tap', id: 'x'.repeat(65) }, 400, 'validation_failed'],
      [{ type: 'tap', extra: 1 }, 400, 'validation_failed'],
      [{ type: 42 }, 400, 'unknown_event_type'], // Ajv coerces 42 to "42"
    ];
    for (const [payload, status, code, pointer] of cases) {
      const res = await c.post(payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json().code).toBe(code);
      if (pointer) expect(res.json().errors[0].pointer).toBe(pointer);
    }
    const raw = await t.app.inject({ method: 'POST', url: '/v1/gamification/events', headers: { ...c.headers, 'content-type': 'application/json' }, payload: '{"type":' });
    expect(raw.statusCode).toBe(400);
    expect((await c.get('/me')).points.total).toBe(1);
    // Service actors (the admin token) do not play; anonymous reads of /me need an identity.
    const svcRes = await t.app.inject({ method: 'POST', url: '/v1/gamification/events', headers: { authorization: 'Bearer admin-token-for-gamification-tests-0123456789' }, payload: { type: 'tap' } });
    expect(svcRes.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v1/gamification/me' })).statusCode).toBe(401);
  });

  it('awards exactly the daily cap to 100 concurrent posts', async () => {
    const c = await Client.guest(t);
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => c.post({ type: 'capped', id: `c${i}` })));
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    const awarded = responses.filter((r) => r.json().results[0].status === 'awarded');
    expect(awarded).toHaveLength(7);
    expect((await c.get('/me')).points.total).toBe(70);
    const rows = await t.ctx.db.selectFrom('gam_events').select(t.ctx.db.fn.countAll().as('n')).where('actor', '=', `guest:${c.id}`).executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(7);
  });

  it('awards an id exactly once under 50 concurrent posts of it', async () => {
    const c = await Client.guest(t);
    const responses = await Promise.all(Array.from({ length: 50 }, () => c.post({ type: 'tap', id: 'same' })));
    expect(responses.map((r) => r.statusCode).every((s) => s === 200)).toBe(true);
    expect(responses.filter((r) => r.json().results[0].status === 'awarded')).toHaveLength(1);
    expect((await c.get('/me')).points.total).toBe(1);
  });

  it('levels up, completes the challenge with its reward and emits domain events after commit', async () => {
    const events = recordEvents(t);
    const seen = () =>
      events.all().map(({ name, payload: p }) => {
        const e = p as { points?: number; badge?: string; level?: string; previousLevel?: string | null; challenge?: string };
        if (name === 'points.awarded') return `points:${e.points}`;
        if (name === 'badge.awarded') return `badge:${e.badge}`;
        if (name === 'level.up') return `level:${e.previousLevel}->${e.level}`;
        return name === 'challenge.completed' ? `challenge:${e.challenge}` : name;
      });
    try {
      const c = await Client.guest(t);
      svc().now = () => new Date('2030-02-01T12:00:00Z');
      await c.post({ events: [{ type: 'share' }, { type: 'quiz_completed' }] });
      for (let i = 0; i < 5; i++) {
        svc().now = () => new Date(Date.parse('2030-02-01T12:00:00Z') + i * 61_000);
        await c.send('visit_page');
      }
      const me = await c.get('/me');
      // 50 + 30 + 5*5 = 105, plus the challenge's 150 = 255: silver.
      expect(me.points.total).toBe(255);
      expect(me.level.key).toBe('silver');
      expect(me.badges.map((b: { key: string }) => b.key).sort()).toEqual(['challenger', 'first_share']);
      expect(me.challenges).toEqual([]);
      expect(seen()).toEqual(expect.arrayContaining(['badge:first_share', 'challenge:welcome', 'badge:challenger', 'level:bronze->silver', 'points:155']));
      const challenges = await c.get('/challenges');
      expect(challenges.data[0]).toMatchObject({ key: 'welcome', completed: true, reward: { points: 150, badge: 'challenger' } });
      // A big jump crosses two thresholds: two level ups.
      events.clear();
      for (let i = 0; i < 3; i++) await c.send('big');
      expect(seen().filter((s) => s.startsWith('level:'))).toEqual(['level:silver->gold']);
      expect((await c.get('/me')).badges.map((b: { key: string }) => b.key)).toContain('gold_member');
    } finally {
      events.stop();
      svc().now = () => new Date();
    }
  });

  it('keeps a daily streak, spends a freeze on a missed day and breaks after', async () => {
    const c = await Client.guest(t);
    const at = (day: string) => (svc().now = () => new Date(`${day}T08:00:00Z`));
    try {
      at('2030-03-01');
      await c.send('tap');
      at('2030-03-02');
      await c.send('tap');
      await c.send('tap');
      expect((await c.get('/me')).streak).toMatchObject({ current: 2, longest: 2, freezesLeft: 1, active: true });
      at('2030-03-04'); // 03-03 missed: the freeze covers it
      expect((await c.send('tap')).streak).toMatchObject({ current: 3, freezesLeft: 0 });
      at('2030-03-07'); // two missed days, no freeze left
      expect((await c.get('/me')).streak).toMatchObject({ current: 0, longest: 3, active: false });
      expect((await c.send('tap')).streak).toMatchObject({ current: 1, longest: 3, freezesLeft: 1 });
    } finally {
      svc().now = () => new Date();
    }
  });

  it('pages the history and lists event types, badges and challenges', async () => {
    const c = await Client.guest(t);
    await c.post({ events: Array.from({ length: 25 }, (_, i) => ({ type: 'tap', id: `h${i}` })) });
    const first = await c.get('/scores?limit=10');
    expect(first.data).toHaveLength(10);
    expect(first.data[0]).toMatchObject({ type: 'tap', source: 'event', points: 1, clientId: expect.any(String) });
    const second = await c.get(`/scores?limit=20&cursor=${first.nextCursor}`);
    expect(second.data).toHaveLength(15);
    expect(second.nextCursor).toBeNull();
    const ids = new Set([...first.data, ...second.data].map((r: { clientId: string }) => r.clientId));
    expect(ids.size).toBe(25);
    expect((await t.app.inject({ method: 'GET', url: '/v1/gamification/scores?cursor=zzz', headers: c.headers })).statusCode).toBe(400);

    const types = await c.get('/event-types');
    expect(types.data).toEqual(expect.arrayContaining([{ key: 'share', name: 'Compartir', points: 50, dailyCap: 5, cooldownSeconds: null, lifetimeCap: null, client: true }]));
    const badges = await new Client(t, { ...c.headers, 'accept-language': 'en' }).get('/badges');
    expect(badges.data.find((b: { key: string }) => b.key === 'ambassador')).toMatchObject({ name: 'Ambassador', earned: false, progress: { current: 0, target: 10 } });
    const anonymous = await t.app.inject({ method: 'GET', url: '/v1/gamification/badges' });
    expect(anonymous.statusCode).toBe(200);
  });
});
