import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import auth from '../auth/module.js';
import { signUpAndIn, TEST_ORIGIN } from '../auth/test-helpers.js';
import { Client, gamificationApp } from './testing.js';

/** The public leaderboard names players (or gives them a pseudonym) and never shows internal ids. */
describe.each(targets)('leaderboard names on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    // Live boards off: the lookup count below is GET /leaderboard's alone (live.test.ts and
    // realtime.test.ts cover the published boards).
    t = await gamificationApp(target, [auth], { leaderboards: { defaultLimit: 100, liveIntervalMs: 0 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const board = async (headers: Record<string, string> = {}, query = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/gamification/leaderboard?period=all${query}`, headers });
    expect(res.statusCode).toBe(200);
    return res;
  };

  it('shows users’ names and guests’ display names to anonymous callers, never an id', async () => {
    const guest = await Client.guest(t);
    await guest.post({ events: [{ type: 'share', id: 'n1' }] });
    const user = await signUpAndIn(t.app, { name: 'Ana Pirata' });
    const posted = await t.app.inject({
      method: 'POST',
      url: '/v1/gamification/events',
      headers: { cookie: user.cookie, origin: TEST_ORIGIN },
      payload: { type: 'share', id: 'n2' },
    });
    expect(posted.statusCode).toBe(200);

    const res = await board();
    const guestName = (await t.ctx.services.guests.get(guest.id))!.displayName;
    const names = res.json().data.map((e: { displayName: string }) => e.displayName);
    expect(names).toEqual(expect.arrayContaining(['Ana Pirata', guestName]));
    for (const id of [guest.id, user.userId]) expect(res.body).not.toContain(id);
    for (const e of res.json().data) {
      expect(Object.keys(e).sort()).toEqual(['actorType', 'displayName', 'isMe', 'points', 'rank']);
      expect(e.isMe).toBe(false);
    }
  });

  it('marks the caller’s own entry', async () => {
    const guest = await Client.guest(t);
    await guest.post({ events: [{ type: 'big' }] });
    const res = await board(guest.headers);
    const mine = res.json().data.filter((e: { isMe: boolean }) => e.isMe);
    expect(mine).toHaveLength(1);
    expect(mine[0].displayName).toBe((await t.ctx.services.guests.get(guest.id))!.displayName);
    expect(res.json().me).toMatchObject({ rank: mine[0].rank, points: mine[0].points });
  });

  it('with showNames off, everyone is a stable pseudonym in the caller’s language', async () => {
    const anon = await gamificationApp(target, [auth], { leaderboards: { showNames: false, defaultLimit: 100 } });
    try {
      const guest = await Client.guest(anon);
      await guest.post({ events: [{ type: 'share', id: 'p1' }] });
      const en = (await anon.app.inject({ method: 'GET', url: '/v1/gamification/leaderboard', headers: { 'accept-language': 'en' } })).json();
      const es = (await anon.app.inject({ method: 'GET', url: '/v1/gamification/leaderboard', headers: { 'accept-language': 'es' } })).json();
      expect(en.data[0].displayName).toMatch(/^Player [0-9A-Z]{6}$/);
      expect(es.data[0].displayName).toBe(en.data[0].displayName.replace('Player', 'Jugador'));
      const again = (await anon.app.inject({ method: 'GET', url: '/v1/gamification/leaderboard', headers: { 'accept-language': 'en' } })).json();
      expect(again.data[0].displayName).toBe(en.data[0].displayName);
      expect(JSON.stringify(en)).not.toContain(guest.id);
    } finally {
      await anon.close();
    }
  });

  it('names a board of 100 with one batched lookup per kind of player, not one per entry', async () => {
    const guests = t.ctx.services.guests;
    const original = guests.displayNames.bind(guests);
    const calls: number[] = [];
    guests.displayNames = async (ids) => {
      calls.push(ids.length);
      return original(ids);
    };
    try {
      const players = await Promise.all(Array.from({ length: 30 }, () => Client.guest(t)));
      for (const p of players) await p.post({ events: [{ type: 'tap' }] });
      const res = await board();
      expect(res.json().data.length).toBeGreaterThanOrEqual(31);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toBeGreaterThanOrEqual(31);
    } finally {
      guests.displayNames = original;
    }
  });
});
