import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { recordEvents } from '../../testing/events.js';
import { Client, gamificationApp } from './testing.js';

/** Leaderboards, guest merge, sign-up points, privacy export and erasure. */
describe.each(targets)('gamification players on %s', (target) => {
  let t: TestApp;
  const svc = () => t.ctx.services.gamification;
  const rowsOf = async (table: string, actor: string) =>
    Number((await t.ctx.db.selectFrom(table).select(t.ctx.db.fn.countAll().as('n')).where('actor', '=', actor).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await gamificationApp(target, [], { leaderboards: { includeGuests: true, defaultLimit: 3 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ranks players per period with shared ranks on ties and the caller’s own rank', async () => {
    const players = await Promise.all([0, 1, 2, 3, 4].map(() => Client.guest(t)));
    try {
      // Last month: only player 4 plays (300 points).
      svc().now = () => new Date('2031-05-20T10:00:00Z');
      await players[4].send('big');
      svc().now = () => new Date('2031-06-10T10:00:00Z');
      const taps = [40, 25, 25, 10];
      for (let i = 0; i < 4; i++) await players[i].post({ events: Array.from({ length: taps[i] }, () => ({ type: 'tap' })) });

      const all = await players[3].get('/leaderboard?period=all');
      expect(all.periodKey).toBe('all');
      // defaultLimit is 3 in this app.
      expect(all.data.map((e: { points: number; rank: number }) => [e.rank, e.points])).toEqual([
        [1, 300],
        [2, 40],
        [3, 25],
      ]);
      expect(all.me).toEqual({ rank: 5, points: 10 });

      const monthly = await players[1].get('/leaderboard?period=monthly&limit=10');
      expect(monthly.periodKey).toBe('m:2031-06');
      expect(monthly.data.map((e: { points: number }) => e.points)).toEqual([40, 25, 25, 10]);
      expect(monthly.data.map((e: { rank: number }) => e.rank)).toEqual([1, 2, 2, 4]);
      expect(monthly.me).toEqual({ rank: 2, points: 25 });
      const weekly = await players[4].get('/leaderboard?period=weekly');
      expect(weekly.periodKey).toBe('w:2031-W24');
      expect(weekly.me).toBeNull();

      for (const q of ['period=yearly', 'limit=101', 'limit=0', 'other=1']) {
        const res = await t.app.inject({ method: 'GET', url: `/v1/gamification/leaderboard?${q}` });
        expect(res.statusCode, q).toBe(400);
      }
      expect((await t.app.inject({ method: 'GET', url: '/v1/gamification/leaderboard' })).json().me).toBeNull();
    } finally {
      svc().now = () => new Date();
    }
  });

  it('awards sign-up points once on user.registered, even when delivered twice', async () => {
    await t.ctx.events.emit('user.registered', { userId: 'reg-1', email: 'reg@example.com' });
    await t.ctx.events.emit('user.registered', { userId: 'reg-1', email: 'reg@example.com' });
    expect((await Client.user(t, 'reg-1').get('/me')).points.total).toBe(100);
  });

  it('moves a guest to a user once, with nothing counted twice, under concurrent duplicate deliveries', async () => {
    const guest = await Client.guest(t);
    const user = Client.user(t, 'merge-user');
    await guest.post({ events: [{ type: 'share', id: 'k1' }, { type: 'tap', id: 'k2' }, { type: 'quiz_completed' }] });
    await user.post({ events: [{ type: 'share', id: 'k1' }, { type: 'tap', id: 'k3' }] });
    for (let i = 0; i < 5; i++) {
      svc().now = () => new Date(Date.now() + i * 61_000);
      await user.send('visit_page');
    }
    svc().now = () => new Date();
    // Guest: 50 + 1 + 30 = 81; user: 50 + 1 + 25 = 76. Both hold first_share; neither finished the
    // welcome challenge alone (guest: share + quiz; user: share + 5 visits); together they do.
    const events = recordEvents(t);
    await Promise.all([0, 1, 2].map(() => t.ctx.events.emit('guest.merged', { guestId: guest.id, userId: 'merge-user' })));
    await t.ctx.events.emit('guest.merged', { guestId: guest.id, userId: 'merge-user' });
    await events.settled();
    events.stop();
    const merged = events.payloads('challenge.completed').map((e) => `${e.actorType}:${e.actorId}:${e.challenge}`);

    const me = await user.get('/me');
    expect(me.points.total).toBe(81 + 76 + 150);
    expect(me.badges.map((b: { key: string }) => b.key).sort()).toEqual(['challenger', 'first_share']);
    expect(merged).toEqual(['user:merge-user:welcome']);
    const history = await user.get('/scores?limit=100');
    expect(history.data.map((r: { clientId: string | null }) => r.clientId).filter(Boolean).sort()).toEqual(['k1', 'k2', 'k3']);
    expect(history.data.reduce((n: number, r: { points: number }) => n + r.points, 0)).toBe(81 + 76 + 150);
    // The guest's id k2 now belongs to the user: a retry after sign-up does not award again.
    expect((await user.send('tap', 'k2')).results[0].status).toBe('duplicate');
    for (const table of ['gam_totals', 'gam_events', 'gam_counts', 'gam_badges', 'gam_challenges', 'gam_streaks']) {
      expect(await rowsOf(table, `guest:${guest.id}`), table).toBe(0);
    }
    // Counters merged: the user has shared twice today (guest + user), so 3 more shares reach the cap of 5.
    const shares = await user.post({ events: Array.from({ length: 4 }, () => ({ type: 'share' })) });
    expect(shares.json().results.filter((r: { status: string }) => r.status === 'awarded')).toHaveLength(3);
  });

  it('exports and erases a user’s gamification data', async () => {
    const user = Client.user(t, 'gone-user');
    await user.send('share', 'e1');
    const exported = (await t.ctx.privacy.exportUser('gone-user')).gamification as Record<string, unknown[]>;
    expect(exported.totals).toEqual(expect.arrayContaining([expect.objectContaining({ period: 'all', points: 50 })]));
    expect(exported.badges).toEqual([expect.objectContaining({ badge: 'first_share' })]);
    expect(exported.history).toEqual([expect.objectContaining({ type: 'share', clientId: 'e1', points: 50 })]);

    await t.ctx.events.emit('user.deleted', { userId: 'gone-user' });
    for (const table of ['gam_totals', 'gam_events', 'gam_counts', 'gam_badges', 'gam_challenges', 'gam_streaks']) {
      expect(await rowsOf(table, 'user:gone-user'), table).toBe(0);
    }
    expect((await user.get('/me')).points.total).toBe(0);
  });
});
