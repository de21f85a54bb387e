import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../../src/testing/app.js';
import { targets } from '../../src/testing/targets.js';
import { launchBrowser, skipBrowserTests } from '../../src/testing/browser.js';
import { builtinModules } from '../../src/modules/index.js';
import { serveLanding, type LandingServer } from './serve.js';

/*
 * Where things run. A real deployment puts the landing page on www.example.com and the API on
 * api.example.com: two origins of one site. On loopback the closest equivalent is one host and
 * two ports: cookies are per host (not per port) and SameSite ignores ports, so the API's
 * SameSite=Lax cookies travel with the page's fetches exactly as they would between
 * www. and api. (Using `localhost` for one and `127.0.0.1` for the other would be two *sites*:
 * Lax cookies would not be sent at all, which is not what a deployment looks like.)
 *
 * The untrusted page is a third port on the same host: a same-site origin the API does not
 * trust (think of a compromised blog.example.com). SameSite does not protect against it, so
 * what refuses it is what Neptuno adds: CORS (it cannot read answers) and the origin check on
 * cookie-authenticated unsafe requests (403 csrf_origin_rejected).
 */
const HOST = '127.0.0.1';
const SHOTS = mkdtempSync(join(tmpdir(), 'neptuno-landing-'));
const PASSWORD = 'mareas-y-caracolas-42';

// Each part drives a real browser against a real server: more than the default 30 s.
describe.skipIf(skipBrowserTests).each(targets)('landing page in a browser on $name', { timeout: 120_000 }, (target) => {
  let t: TestApp;
  let api = '';
  let trustedPage: LandingServer;
  let untrustedPage: LandingServer;
  let browser: Browser;
  let signedIn: BrowserContext;
  const email = `ana.${target.name}.${Date.now()}@example.com`;

  beforeAll(async () => {
    trustedPage = await serveLanding({ api: () => api, host: HOST });
    untrustedPage = await serveLanding({ api: () => api, host: HOST });
    t = await createTestApp({
      target,
      modules: builtinModules,
      config: {
        // What `npm start` runs with: plain-HTTP cookies without the Secure prefixes.
        env: 'development',
        server: { host: HOST, port: 0, cors: { origins: [trustedPage.url] } },
        modules: { auth: { trustedOrigins: [trustedPage.url] } },
      },
    });
    api = await t.neptuno.listen();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await trustedPage?.close();
    await untrustedPage?.close();
  });

  /** A page whose console errors and CSP violations are collected. */
  async function open(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    return { page, errors };
  }

  const text = (page: Page, selector: string) => page.locator(selector).textContent();
  const pointsOf = async (userEmail: string) => {
    const user = await t.ctx.db.selectFrom('auth_users').select('id').where('email', '=', userEmail).executeTakeFirst();
    return user ? (await t.ctx.services.gamification.me({ type: 'user', id: user.id }, 'en')).points.total : null;
  };

  it('a guest shares, earns points and a badge, signs up and keeps them; the session survives a reload', async () => {
    signedIn = await browser.newContext({ locale: 'es-ES' });
    const { page, errors } = await open(signedIn, trustedPage.url);

    // A new visitor becomes a guest at once.
    await page.locator('#who', { hasText: 'Jugando como Invitado' }).waitFor();
    await page.locator('#share:not([disabled])').waitFor(); // the score is rendered
    expect(await text(page, '#points')).toBe('0');
    expect(await text(page, '#share')).toBe('Compartir');

    await page.click('#share');
    await page.locator('#badges li[data-key="first_share"]').waitFor();
    expect(await text(page, '#points')).toBe('50');
    expect(await text(page, '#badges')).toContain('Primer compartido');
    expect(await text(page, '#share-result')).toContain('¡+50 puntos!');
    expect(await text(page, '#level')).toBe('Bronce');

    await page.screenshot({ path: join(SHOTS, `guest-${target.name}.png`), fullPage: true });

    // The guest cookie is HttpOnly: the page never sees it, the browser keeps it.
    const guestCookie = (await signedIn.cookies(api)).find((c) => c.name === 'neptuno_guest');
    expect(guestCookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe('');

    // Sign up through the page (which signs in right after).
    await page.fill('#sign-up input[name=name]', 'Ana');
    await page.fill('#sign-up input[name=email]', email);
    await page.fill('#sign-up input[name=password]', PASSWORD);
    await page.click('#sign-up button');
    await page.locator('#who', { hasText: 'Hola, Ana' }).waitFor();
    expect(await text(page, '#account-error')).toBe('');
    // 50 from sharing as a guest + 100 for completing sign-up. The guest's 50 move over with
    // guest.merged, delivered after the sign-in commits (the request does not wait for it), so
    // the page may first render before the merge landed: reload it, as a visitor would, until
    // it shows the merged score (bounded).
    await expect
      .poll(
        async () => {
          if ((await text(page, '#points')) === '150') return '150';
          await page.reload();
          await page.locator('#who', { hasText: 'Hola, Ana' }).waitFor();
          await page.locator('#share:not([disabled])').waitFor(); // the score is rendered
          return text(page, '#points');
        },
        { timeout: 15_000 },
      )
      .toBe('150');
    expect(await text(page, '#badges')).toContain('Primer compartido');

    // The same figures straight from /v1/gamification/me, fetched by the page with its cookie.
    const me = await page.evaluate(() => (globalThis as unknown as { neptuno: { me(): Promise<unknown> } }).neptuno.me());
    expect(me).toMatchObject({ points: { total: 150, name: 'puntos' }, badges: [{ key: 'first_share', name: 'Primer compartido' }] });
    const who = await page.evaluate(() => (globalThis as unknown as { neptuno: { whoami(): Promise<unknown> } }).neptuno.whoami());
    expect(who).toMatchObject({ kind: 'user', displayName: 'Ana', via: 'session' });
    expect(await pointsOf(email)).toBe(150);

    // The session cookie is HttpOnly and Lax; the guest cookie was cleared by the merge.
    const cookies = await signedIn.cookies(api);
    expect(cookies.find((c) => c.name === 'neptuno.session_token')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(cookies.find((c) => c.name === 'neptuno_guest')).toBeUndefined();

    // A reload keeps the session.
    await page.reload();
    await page.locator('#who', { hasText: 'Hola, Ana' }).waitFor();
    await page.locator('#points', { hasText: '150' }).waitFor();

    // Other methods pass CORS too: a profile edit (PATCH) from the page, with its cookie.
    const renamed = await page.evaluate(() =>
      (globalThis as unknown as { neptuno: { request(m: string, p: string, b?: unknown): Promise<{ name: string }> } }).neptuno
        .request('PATCH', '/v1/profile', { name: 'Ana María' })
        .then((p) => p.name, (e: Error) => `failed: ${e.message}`),
    );
    expect(renamed).toBe('Ana María');
    await page.reload();
    await page.locator('#who', { hasText: 'Hola, Ana María' }).waitFor();

    // Signed in, the share button still works (a cookie-authenticated POST from a trusted origin).
    await page.click('#share');
    await page.locator('#points', { hasText: '200' }).waitFor();
    expect(await page.locator('#badges li').count()).toBe(1);

    // Sign out (a fresh guest with nothing), then sign in through the other form: all is back.
    await page.click('#sign-out');
    await page.locator('#who', { hasText: 'Jugando como Invitado' }).waitFor();
    await page.locator('#points', { hasText: /^0$/ }).waitFor();
    await page.fill('#sign-in input[name=email]', email);
    await page.fill('#sign-in input[name=password]', PASSWORD);
    await page.click('#sign-in button');
    await page.locator('#who', { hasText: 'Hola, Ana' }).waitFor();
    await page.locator('#points', { hasText: '200' }).waitFor();

    // A wrong password: the API's problem, in Spanish, under the form.
    await page.click('#sign-out');
    await page.locator('#who', { hasText: 'Jugando como Invitado' }).waitFor();
    await page.fill('#sign-in input[name=email]', email);
    await page.fill('#sign-in input[name=password]', 'no-es-la-contraseña');
    await page.click('#sign-in button');
    // The page could read the 401 problem (CORS headers on error answers too), in Spanish.
    await page.locator('#account-error', { hasText: 'El email o la contraseña no son correctos.' }).waitFor();
    expect(await text(page, '#who')).toContain('Invitado');
    await page.fill('#sign-in input[name=password]', PASSWORD);
    await page.click('#sign-in button');
    await page.locator('#who', { hasText: 'Hola, Ana' }).waitFor();

    expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
    await page.close();
  });

  it('speaks English to a browser that prefers it', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const { page, errors } = await open(context, trustedPage.url);
    await page.locator('#who', { hasText: 'Playing as' }).waitFor();
    expect(await text(page, 'h1')).toBe('Share and win');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.click('#share');
    await page.locator('#share-result', { hasText: '+50 points!' }).waitFor();
    await page.locator('#badges li[data-key="first_share"]', { hasText: 'First share' }).waitFor();
    // A bad sign-up: the API's field error, in English.
    await page.fill('#sign-up input[name=name]', 'Bo');
    await page.fill('#sign-up input[name=email]', `bo.${target.name}.${Date.now()}@example.com`);
    await page.fill('#sign-up input[name=password]', 'password123');
    await page.click('#sign-up button');
    await page.locator('#account-error', { hasText: 'This password is too common' }).waitFor();
    expect(await text(page, '#who')).toContain('Playing as');
    await page.screenshot({ path: join(SHOTS, `english-${target.name}.png`), fullPage: true });
    expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
    await context.close();
  });

  it('shows the score and the leaderboard live, without a reload, and catches up after a dropped socket', async () => {
    const context = await browser.newContext({ locale: 'es-ES' });
    const { page, errors } = await open(context, trustedPage.url);
    await page.locator('#share:not([disabled])').waitFor();
    await page.locator('#live[data-state="open"]', { hasText: 'En directo' }).waitFor();
    const visitor = (await page.evaluate(() => (globalThis as unknown as { neptuno: { whoami(): Promise<unknown> } }).neptuno.whoami())) as { id: string };
    // Marks this document: still there at the end means no reload happened.
    await page.evaluate(() => ((globalThis as unknown as { sameDocument: boolean }).sameDocument = true));
    const gamification = t.ctx.services.gamification;

    // Points earned elsewhere (another tab, a webhook, an admin) appear at once.
    await gamification.award({ type: 'guest', id: visitor.id }, 'quiz_completed', { id: 'live-1' });
    await page.locator('#points', { hasText: /^30$/ }).waitFor();

    // A rival takes the lead: the public board on this page follows.
    const rival = await t.ctx.services.guests.create({ displayName: 'Rival en directo' });
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) await gamification.award({ type: 'guest', id: rival.id }, 'share', { id });
    await page.locator('#leaderboard li', { hasText: 'Rival en directo' }).filter({ hasText: '250' }).waitFor();
    await page.screenshot({ path: join(SHOTS, `live-${target.name}.png`), fullPage: true });

    // The socket goes away; an award happens meanwhile; back, the client subscribes with the last
    // id it saw and the server replays what it missed.
    await page.evaluate(() => (globalThis as unknown as { neptunoLive: { close(): void } }).neptunoLive.close());
    await gamification.award({ type: 'guest', id: visitor.id }, 'quiz_completed', { id: 'live-2' });
    expect(await text(page, '#points')).toBe('30');
    await page.evaluate(() => (globalThis as unknown as { neptunoLive: { reconnect(): void } }).neptunoLive.reconnect());
    await page.locator('#points', { hasText: /^60$/ }).waitFor();

    expect(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the same page from an origin the API does not trust can neither read answers nor act with the cookie', async () => {
    expect(signedIn, 'runs after the first test, with its signed-in browser').toBeDefined();
    const sessionCookie = (await signedIn.cookies(api)).find((c) => c.name === 'neptuno.session_token');
    expect(sessionCookie).toBeDefined();
    const before = await pointsOf(email);

    // The untrusted page in the same browser: the session cookie would go along (same site).
    const { page } = await open(signedIn, untrustedPage.url);
    // CORS: the API names no such origin, so the page cannot read even whoami.
    await page.locator('#share-result', { hasText: 'No se puede conectar con el servidor.' }).waitFor();
    expect(await text(page, '#who')).toBe('');
    expect(await page.locator('#share').isDisabled()).toBe(true);

    // Sign-up and sign-in from it fail (the preflight is refused, so nothing is even sent).
    const strangerEmail = `eve.${target.name}.${Date.now()}@example.com`;
    await page.fill('#sign-up input[name=name]', 'Eve');
    await page.fill('#sign-up input[name=email]', strangerEmail);
    await page.fill('#sign-up input[name=password]', PASSWORD);
    await page.click('#sign-up button');
    await page.locator('#account-error', { hasText: 'No se puede conectar con el servidor.' }).waitFor();
    expect(await t.ctx.db.selectFrom('auth_users').select('id').where('email', '=', strangerEmail).executeTakeFirst()).toBeUndefined();
    await page.locator('#account-error').evaluate((el) => ((el as unknown as { textContent: string }).textContent = ''));
    await page.fill('#sign-in input[name=email]', email);
    await page.fill('#sign-in input[name=password]', PASSWORD);
    await page.click('#sign-in button');
    await page.locator('#account-error', { hasText: 'No se puede conectar con el servidor.' }).waitFor();

    // A request CORS does not stop: no-cors needs no preflight and the browser attaches the
    // cookie. The server refuses it by its Origin (the page could not read the answer anyway:
    // Chromium blocks an opaque JSON response and the fetch rejects). Counted server-side.
    const refusals = async () => {
      const text = await (await fetch(`${api}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('http_request_duration_seconds_count{') && l.includes('method="POST"') && l.includes('/v1/auth/') && l.includes('status_code="403"'));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const refusedBefore = await refusals();
    await page.evaluate((url) => fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include' }).then(() => 'sent', () => 'rejected'), `${api}/v1/auth/sign-out`);
    expect(await refusals()).toBe(refusedBefore + 1);
    // Nor can it award points with a "simple" (no-preflight) body: text/plain is not JSON to the API.
    await page.evaluate(
      (url) => fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', body: JSON.stringify({ type: 'share', id: 'simple-1' }) }).then(() => 'sent', () => 'rejected'),
      `${api}/v1/gamification/events`,
    );
    expect(await pointsOf(email)).toBe(before);

    // The same attack from outside a browser, with the cookie and the untrusted Origin spelled out.
    const cookie = `${sessionCookie!.name}=${sessionCookie!.value}`;
    const post = (path: string, origin: string, body: unknown) =>
      fetch(`${api}${path}`, { method: 'POST', headers: { cookie, origin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const [path, body] of [
      ['/v1/gamification/events', { type: 'share', id: 'csrf-1' }],
      ['/v1/auth/sign-out', {}],
    ] as const) {
      const res = await post(path, untrustedPage.url, body);
      expect(res.status, path).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 403, code: 'csrf_origin_rejected' });
    }
    // A guest cookie is a cookie credential too: the same refusal on events and coupons.
    const guestRes = await fetch(`${api}/v1/public/guest`, { method: 'POST', headers: { origin: trustedPage.url } });
    const guestCookie = guestRes.headers.getSetCookie().find((c) => c.startsWith('neptuno_guest='))!.split(';')[0];
    for (const [path, body] of [
      ['/v1/gamification/events', { type: 'share', id: 'guest-csrf-1' }],
      ['/v1/coupons/redeem', { code: 'ANYCODE' }],
    ] as const) {
      const res = await fetch(`${api}${path}`, { method: 'POST', headers: { cookie: guestCookie, origin: untrustedPage.url, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, `guest ${path}`).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('csrf_origin_rejected');
    }
    // Nothing changed: the same points, and the session still works.
    expect(await pointsOf(email)).toBe(before);
    const whoami = await fetch(`${api}/v1/public/whoami`, { headers: { cookie } });
    expect(await whoami.json()).toMatchObject({ kind: 'user', displayName: 'Ana María' });

    // Control: the very same request from the trusted origin goes through.
    const trusted = await post('/v1/gamification/events', trustedPage.url, { type: 'share', id: 'csrf-1' });
    expect(trusted.status).toBe(200);
    expect(await pointsOf(email)).toBe(before! + 50);

    // The trusted page, signed in, for the record.
    await page.close();
    const { page: home } = await open(signedIn, trustedPage.url);
    await home.locator('#points', { hasText: String(before! + 50) }).waitFor();
    await home.screenshot({ path: join(SHOTS, `user-${target.name}.png`), fullPage: true });
    console.log(`landing screenshots in ${SHOTS}`);
    await signedIn.close();
  });
});
