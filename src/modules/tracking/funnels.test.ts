import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import type { EventInput } from './events.js';
import { stepsReached } from './funnels.js';
import { admin, CHROME, page, service, setClock, trackingTestApp } from './testing.js';

describe('stepsReached', () => {
  const h = (ms: number, ...matches: number[]) => ({ ms, matches });
  it('counts steps in order within the window from each possible start', () => {
    expect(stepsReached([h(0, 0), h(1, 1), h(2, 2)], 3, 10)).toBe(3);
    expect(stepsReached([h(0, 0), h(1, 2), h(2, 1)], 3, 10)).toBe(2);
    expect(stepsReached([h(0, 0), h(11, 1)], 3, 10)).toBe(1);
    expect(stepsReached([h(0, 0), h(11, 1), h(20, 0), h(21, 1), h(22, 2)], 3, 10)).toBe(3);
    expect(stepsReached([h(0, 1), h(1, 0)], 3, 10)).toBe(1);
    expect(stepsReached([h(0, 1), h(1, 2)], 3, 10)).toBe(0);
    // One event may be two steps (same page twice in a funnel).
    expect(stepsReached([h(0, 0, 1), h(1, 0, 1)], 2, 10)).toBe(2);
  });
});

/*
 * A hand-computed funnel: / (page view) → click "signup" → custom "signup_completed", 30-minute
 * window, range 2026-11-15 (whole day). Person by person:
 *   P1 u1: / 10:00, signup 10:05, completed 10:10                          → 3
 *   P2 u2: / 10:00, completed 10:05 (before the click), signup 10:20         → 2
 *   P3 u3: / 10:00, signup 10:40 (outside the window); / 11:00, signup 11:10, completed 11:20 → 3
 *   P4 u4: signup 10:00, then / 10:05 (the click came first)                 → 1
 *   P5 u5: / 23:50, signup 00:05 the next day (after `to`, inside the window) → 2
 *   P6 u6: / the next day only (starts after `to`)                           → not counted
 *   P7 guest g7: / 10:00, signup 10:02; signs up as u7, completed 10:06      → 3 once the guest is merged
 *   P8 anonymous: / 12:00, signup 12:01, completed 12:02                     → 3
 * Step 1: P1 P2 P3 P4 P5 P7 P8 = 7; step 2: P1 P2 P3 P5 P7 P8 = 6; step 3: P1 P3 P7 P8 = 4.
 */
describe.each(targets)('funnels on $name', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await trackingTestApp(target);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function at(iso: string, who: { userId?: string; guestId?: string; ip?: string }, e: EventInput) {
    setClock(t, iso);
    const sender = { ip: who.ip ?? '10.0.0.1', userAgent: CHROME, optedOut: false, userId: who.userId ?? null, guestId: who.guestId ?? null };
    expect(await service(t).ingest(sender, [e], { rateLimit: false })).toEqual({ accepted: 1 });
  }
  const home = () => ({ type: 'pageview' as const, url: page(t, '/') });
  const click = () => ({ type: 'click' as const, url: page(t, '/'), name: 'signup' });
  const done = () => ({ type: 'custom' as const, url: page(t, '/welcome'), name: 'signup_completed' });
  const funnel = () =>
    t.app.inject({
      method: 'POST',
      url: '/v1/admin/tracking/funnels',
      headers: admin,
      payload: { steps: [{ type: 'pageview', path: '/' }, { type: 'click', name: 'signup' }, { name: 'signup_completed' }], from: '2026-11-15', to: '2026-11-16', windowMinutes: 30 },
    });

  it('counts each step of a hand-computed dataset', async () => {
    const D = '2026-11-15T';
    await at(`${D}10:00:00Z`, { userId: 'u1' }, home());
    await at(`${D}10:05:00Z`, { userId: 'u1' }, click());
    await at(`${D}10:10:00Z`, { userId: 'u1' }, done());
    await at(`${D}10:00:00Z`, { userId: 'u2' }, home());
    await at(`${D}10:05:00Z`, { userId: 'u2' }, done());
    await at(`${D}10:20:00Z`, { userId: 'u2' }, click());
    await at(`${D}10:00:00Z`, { userId: 'u3' }, home());
    await at(`${D}10:40:00Z`, { userId: 'u3' }, click());
    await at(`${D}11:00:00Z`, { userId: 'u3' }, home());
    await at(`${D}11:10:00Z`, { userId: 'u3' }, click());
    await at(`${D}11:20:00Z`, { userId: 'u3' }, done());
    await at(`${D}10:00:00Z`, { userId: 'u4' }, click());
    await at(`${D}10:05:00Z`, { userId: 'u4' }, home());
    await at(`${D}23:50:00Z`, { userId: 'u5' }, home());
    await at('2026-11-16T00:05:00Z', { userId: 'u5' }, click());
    await at('2026-11-16T01:00:00Z', { userId: 'u6' }, home());
    await at('2026-11-16T01:05:00Z', { userId: 'u6' }, click());
    await at(`${D}10:00:00Z`, { guestId: 'g7' }, home());
    await at(`${D}10:02:00Z`, { guestId: 'g7' }, click());
    await at(`${D}10:06:00Z`, { userId: 'u7' }, done());
    await at(`${D}12:00:00Z`, { ip: '10.8.8.8' }, home());
    await at(`${D}12:01:00Z`, { ip: '10.8.8.8' }, click());
    await at(`${D}12:02:00Z`, { ip: '10.8.8.8' }, done());

    // Before the guest is linked to its account, P7 is two people: the guest (2 steps) and u7 (no start).
    const before = await funnel();
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json().steps.map((s: { people: number }) => s.people)).toEqual([7, 6, 3]);

    await service(t).mergeGuest('g7', 'u7');
    const res = await funnel();
    expect(res.json()).toMatchObject({
      from: '2026-11-15T00:00:00.000Z',
      to: '2026-11-16T00:00:00.000Z',
      windowMinutes: 30,
      steps: [
        { step: 1, people: 7, conversionFromPrevious: 1, conversionFromStart: 1 },
        { step: 2, people: 6, conversionFromPrevious: 0.8571, conversionFromStart: 0.8571 },
        { step: 3, people: 4, conversionFromPrevious: 0.6667, conversionFromStart: 0.5714 },
      ],
    });
  });

  it('refuses funnels of one step, empty steps and over-long ranges', async () => {
    const post = (payload: object) => t.app.inject({ method: 'POST', url: '/v1/admin/tracking/funnels', headers: admin, payload });
    expect((await post({ steps: [{ path: '/' }] })).statusCode).toBe(400);
    expect((await post({ steps: [{ path: '/' }, {}] })).statusCode).toBe(400);
    const long = await post({ steps: [{ path: '/' }, { path: '/b' }], from: '2026-01-01', to: '2026-12-01' });
    expect(long.statusCode).toBe(400);
    expect(long.json().code).toBe('tracking_range_too_long');
    const user = await t.app.inject({ method: 'POST', url: '/v1/admin/tracking/funnels', headers: { 'x-test-user': 'u1' }, payload: { steps: [{ path: '/' }, { path: '/b' }] } });
    expect(user.statusCode).toBe(403);
  });
});
