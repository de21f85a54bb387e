import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import auth from '../auth/module.js';
import { CookieJar, signIn, signUp, startTestSmtp, TEST_ORIGIN, uniqueEmail, type TestSmtp } from '../auth/test-helpers.js';
import { admin, gamificationApp } from './testing.js';

/**
 * The "done when": a visitor plays as a guest from a plain page (fetch with cookies),
 * earns points and a badge, signs up, and sees the same points and badge as a user; an admin
 * defines a new badge without a restart. Real guests and auth modules, no test resolver.
 */
describe.each(targets)('gamification end to end on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await gamificationApp(target, [auth], {}, { mail: { url: smtp.url } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('keeps what a guest earned after sign-up', async () => {
    const jar = new CookieJar();
    // What `fetch(url, { method: 'POST', credentials: 'include', body })` sends from the campaign page.
    const play = (payload: object) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/gamification/events',
        headers: { origin: TEST_ORIGIN, 'content-type': 'application/json', ...(jar.header() ? { cookie: jar.header() } : {}) },
        payload,
      });
    const me = async () => (await t.app.inject({ method: 'GET', url: '/v1/gamification/me', headers: { cookie: jar.header() } })).json();

    const first = await play({ type: 'share', id: 'page-share-1' });
    expect(first.statusCode).toBe(200);
    jar.store(first);
    expect(jar.names().some((n) => n.includes('neptuno_guest'))).toBe(true);
    await play({ events: [{ type: 'quiz_completed', id: 'quiz-1' }, { type: 'share', id: 'page-share-1' }] });
    const asGuest = await me();
    expect(asGuest.actor.type).toBe('guest');
    expect(asGuest.points.total).toBe(80);
    expect(asGuest.badges.map((b: { key: string }) => b.key)).toEqual(['first_share']);

    // An admin adds a badge while the campaign runs.
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v1/admin/gamification/badges/quiz_fan',
      headers: admin,
      payload: { names: { es: 'Fan de los quiz', en: 'Quiz fan' }, rule: { type: 'count', event: 'quiz_completed', min: 2 } },
    });
    expect(put.statusCode).toBe(201);
    const second = (await play({ type: 'quiz_completed', id: 'quiz-2' })).json();
    expect(second.badges.map((b: { key: string }) => b.key)).toEqual(['quiz_fan']);

    const email = uniqueEmail('player');
    expect((await signUp(t.app, { email })).statusCode).toBe(200);
    const session = await signIn(t.app, { email }, jar);
    const asUser = await me();
    expect(asUser.actor).toEqual({ type: 'user', id: session.userId });
    // 110 as a guest + 100 for completing sign-up (user.registered).
    expect(asUser.points.total).toBe(210);
    expect(asUser.badges.map((b: { key: string }) => b.key).sort()).toEqual(['first_share', 'quiz_fan']);
    // The page retries an event it sent as a guest: already counted.
    const retry = (await play({ type: 'share', id: 'page-share-1' })).json();
    expect(retry.results[0].status).toBe('duplicate');
    const board = (await t.app.inject({ method: 'GET', url: '/v1/gamification/leaderboard?period=all', headers: { cookie: jar.header() } })).json();
    expect(board.me).toEqual({ rank: 1, points: 210 });
  });
});
