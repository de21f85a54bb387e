import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import guests from '../../modules/guests/module.js';
import { configuredOrigins, isTrustedOrigin } from './csrf.js';
import gamification from '../../modules/gamification/module.js';
import coupons from '../../modules/coupons/module.js';

/**
 * The kernel's CSRF rule with no auth module installed: a guest cookie is a cookie credential
 * like a session, so a cross-site POST carrying it is refused on every route.
 */
const ADMIN_TOKEN = 'csrf-kernel-admin-token-0123456789abcdef';
const EVIL = 'https://evil.example';
const LANDING = 'https://landing.example.com';

describe.each(targets)('CSRF for every cookie credential (guests) on %s', (target) => {
  let t: TestApp;
  let own: string;

  beforeAll(async () => {
    t = await createTestApp({
      target,
      modules: [guests, gamification, coupons],
      config: { admin: { token: ADMIN_TOKEN }, server: { cors: { origins: [LANDING], credentials: true } } },
    });
    own = new URL(t.config.server.publicUrl).origin;
  });
  afterAll(async () => {
    await t?.close();
  });

  const guestCookie = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { origin: own } });
    expect(res.statusCode).toBe(201);
    const raw = res.headers['set-cookie'];
    return (Array.isArray(raw) ? raw : [String(raw)]).find((c) => c.includes('neptuno_guest='))!.split(';')[0];
  };
  const postEvent = (cookie: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: '/v1/gamification/events', headers: { cookie, ...headers }, payload: { type: 'share' } });
  const pointsOf = async (cookie: string) =>
    (await t.app.inject({ method: 'GET', url: '/v1/gamification/me', headers: { cookie } })).json().points.total as number;

  it('refuses a cross-site event POST with a guest cookie: 403, translated, naming the origin; nothing awarded', async () => {
    const cookie = await guestCookie();
    const en = await postEvent(cookie, { origin: EVIL, 'accept-language': 'en' });
    expect(en.statusCode).toBe(403);
    expect(en.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(en.json()).toMatchObject({ code: 'csrf_origin_rejected', title: 'Origin not allowed' });
    expect(en.json().detail).toContain(EVIL);
    const es = await postEvent(cookie, { referer: `${EVIL}/page`, 'accept-language': 'es' });
    expect(es.json().detail).toContain(EVIL);
    expect(es.json().detail).not.toMatch(/[{}]/);
    // No Origin and no Referer: refused too, with a detail that says so (no raw placeholder).
    const none = await postEvent(cookie, { 'accept-language': 'es' });
    expect(none.statusCode).toBe(403);
    expect(none.json().detail).toMatch(/Origin/);
    expect(none.json().detail).not.toMatch(/[{}]/);
    expect(await pointsOf(cookie)).toBe(0);
  });

  it('accepts the public URL and the CORS origins, and any origin on safe methods', async () => {
    const cookie = await guestCookie();
    expect((await postEvent(cookie, { origin: own })).statusCode).toBe(200);
    expect((await postEvent(cookie, { origin: LANDING })).statusCode).toBe(200);
    expect(await pointsOf(cookie)).toBeGreaterThan(0);
    const read = await t.app.inject({ method: 'GET', url: '/v1/gamification/me', headers: { cookie, origin: EVIL } });
    expect(read.statusCode).toBe(200);
  });

  it('refuses a cross-site coupon redemption and guest rename with a guest cookie', async () => {
    const coupon = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/coupons',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, origin: EVIL },
      payload: { type: 'credits', value: 5 },
    });
    // The admin token is a header a browser never adds by itself: not subject to the rule.
    expect(coupon.statusCode).toBe(201);
    const cookie = await guestCookie();
    const redeem = (origin: string) =>
      t.app.inject({ method: 'POST', url: '/v1/coupons/redeem', headers: { cookie, origin }, payload: { code: coupon.json().code } });
    expect((await redeem(EVIL)).json().code).toBe('csrf_origin_rejected');
    const mine = await t.app.inject({ method: 'GET', url: '/v1/coupons/mine', headers: { cookie } });
    expect(mine.json().data).toEqual([]);
    expect((await redeem(own)).statusCode).toBe(201);

    const rename = await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { cookie, origin: EVIL }, payload: { displayName: 'Hacked' } });
    expect(rename.statusCode).toBe(403);
  });

  it('an anonymous cross-site POST carries no credential: not a CSRF matter', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { origin: EVIL } });
    expect(res.statusCode).toBe(201);
  });
});

describe('trusted origins', () => {
  const base = { env: 'production', server: { publicUrl: 'https://api.example.com/base/', port: 8000, cors: { origins: ['https://www.example.com/', '*'] } } };
  it('are publicUrl’s origin and the CORS origins (never "*"); in development also the loopback port', () => {
    expect(configuredOrigins(base as never)).toEqual(['https://api.example.com', 'https://www.example.com']);
    const dev = configuredOrigins({ ...base, env: 'development', server: { ...base.server, publicUrl: 'http://localhost:3001', port: 3001 } } as never);
    expect(dev).toEqual(expect.arrayContaining(['http://localhost:3001', 'http://127.0.0.1:3001', 'http://[::1]:3001']));
    expect(dev).not.toContain('http://127.0.0.1:8000');
  });
  it('match exactly or by wildcard, case-insensitively', () => {
    const trusted = ['https://app.example.com', 'https://*.preview.example.com'];
    expect(isTrustedOrigin('https://APP.example.com', trusted)).toBe(true);
    expect(isTrustedOrigin('https://pr-1.preview.example.com', trusted)).toBe(true);
    expect(isTrustedOrigin('https://evil.com/x.preview.example.com', trusted)).toBe(false);
    expect(isTrustedOrigin('https://app.example.com.evil.com', trusted)).toBe(false);
  });
});
