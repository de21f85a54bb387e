import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.js';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import { TABLES } from './schema.js';
import { startTestOidcProvider, type TestOidcProvider } from './social-test-provider.js';
import { CookieJar, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail } from './test-helpers.js';

const CLIENT_ID = 'neptuno-test';
const CLIENT_SECRET = 'neptuno-test-client-secret-0123456789';
const PROVIDER = 'testidp';
const CALLBACK = `${TEST_ORIGIN}/v1/auth/callback/${PROVIDER}`;

const signedIn: string[] = [];
const probe = defineModule({
  name: 'probe',
  routes: async (app) => {
    app.get('/whoami', async (request) => ({ actor: await request.actor() }));
  },
  on: { 'user.signed_in': (e) => void signedIn.push(e.userId) },
});

describe.each(targets)('social and OpenID Connect sign-in on %s', (target) => {
  let t: TestApp;
  let idp: TestOidcProvider;
  let accountCounter = 0;

  beforeAll(async () => {
    idp = await startTestOidcProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [CALLBACK] });
    t = await createTestApp({
      target,
      modules: [auth, probe],
      config: {
        modules: {
          auth: { social: { oidc: { [PROVIDER]: { discoveryUrl: idp.discoveryUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, name: 'Test IdP' } } } },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const whoami = async (jar: CookieJar) => (await t.app.inject({ method: 'GET', url: '/v1/probe/whoami', headers: { cookie: jar.header() } })).json().actor;

  /** A provider account with its own subject. */
  const providerAccount = (email: string, emailVerified = true) => {
    const sub = `sub-${process.pid}-${accountCounter++}`;
    idp.accounts.set(sub, { email, email_verified: emailVerified, name: 'Social User' });
    return sub;
  };

  /** Browser step 1: ask Neptuno where to go; the jar keeps the state cookie. */
  async function start(jar = new CookieJar(), provider = PROVIDER) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/sign-in/social',
      headers: { origin: TEST_ORIGIN },
      payload: { provider, callbackURL: '/welcome', errorCallbackURL: '/sign-in-error' },
    });
    expect(res.statusCode).toBe(200);
    jar.store(res);
    const { url, redirect } = res.json() as { url: string; redirect: boolean };
    expect(redirect).toBe(true);
    return { jar, url: new URL(url) };
  }

  /** Browser step 3: the provider's redirect lands on our callback. */
  const callback = (location: URL, jar: CookieJar) =>
    t.app.inject({ method: 'GET', url: `${location.pathname}${location.search}`, headers: { cookie: jar.header() } });

  /** The whole redirect dance for one provider account. */
  async function socialSignIn(sub: string) {
    idp.clearCookies();
    const { jar, url } = await start();
    const back = await idp.authorize(url.href, sub);
    const res = await callback(back, jar);
    jar.store(res);
    return { res, jar, back };
  }

  it('redirects to the provider with state, nonce and PKCE S256; the callback signs in with a session cookie', async () => {
    const email = uniqueEmail('social');
    const sub = providerAccount(email);
    idp.clearCookies();
    const { jar, url } = await start();

    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/.{16,}/);
    expect(url.searchParams.get('nonce')).toEqual(expect.any(String));

    const back = await idp.authorize(url.href, sub);
    expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
    expect(back.searchParams.get('state')).toBe(url.searchParams.get('state'));
    expect(back.searchParams.get('code')).toEqual(expect.any(String));

    const res = await callback(back, jar);
    expect(res.statusCode).toBe(302);
    expect(new URL(res.headers.location as string, TEST_ORIGIN).pathname).toBe('/welcome');
    const session = ([] as string[]).concat(res.headers['set-cookie'] as string[]).find((c) => c.startsWith('__Secure-neptuno.session_token='));
    expect(session).toMatch(/HttpOnly/i);
    jar.store(res);

    const actor = await whoami(jar);
    expect(actor).toMatchObject({ type: 'user', role: 'user', via: 'session' });
    const user = await t.ctx.services.auth.getUser(actor.id);
    expect(user).toMatchObject({ email, name: 'Social User', emailVerified: true });
    const accounts = await t.ctx.db.selectFrom(TABLES.accounts).select(['provider_id', 'account_id']).where('user_id', '=', actor.id).execute();
    expect(accounts).toEqual([{ provider_id: PROVIDER, account_id: sub }]);
    expect(signedIn.filter((id) => id === actor.id)).toHaveLength(1);

    // The same provider account signs in to the same user next time.
    const again = await socialSignIn(sub);
    expect(again.res.statusCode).toBe(302);
    expect((await whoami(again.jar)).id).toBe(actor.id);
    expect(signedIn.filter((id) => id === actor.id)).toHaveLength(2);
  });

  it('links the provider account to an existing user with the same verified email', async () => {
    const email = uniqueEmail('link');
    const { id } = await t.ctx.services.auth.createUser({ email, password: TEST_PASSWORD, name: 'Local', emailVerified: true });
    const sub = providerAccount(email.toUpperCase());

    const { res, jar } = await socialSignIn(sub);
    expect(res.statusCode).toBe(302);
    expect((await whoami(jar)).id).toBe(id);
    const providers = await t.ctx.db.selectFrom(TABLES.accounts).select('provider_id').where('user_id', '=', id).orderBy('provider_id').execute();
    expect(providers.map((p) => p.provider_id).sort()).toEqual(['credential', PROVIDER].sort());
    // The password still works too.
    const pw = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-in/email', headers: { origin: TEST_ORIGIN }, payload: { email, password: TEST_PASSWORD } });
    expect(pw.statusCode).toBe(200);
  });

  it('does not link when either side has not verified the email (no account takeover by pre-registration)', async () => {
    const unverifiedLocal = uniqueEmail('unverified-local');
    const local = await t.ctx.services.auth.createUser({ email: unverifiedLocal, password: TEST_PASSWORD, name: 'Local' });
    const first = await socialSignIn(providerAccount(unverifiedLocal));
    expect(first.res.statusCode).toBe(302);
    expect(first.res.headers.location).toMatch(/sign-in-error\?error=account_not_linked/);
    expect(await whoami(first.jar)).toBeNull();

    const verifiedLocal = uniqueEmail('verified-local');
    const other = await t.ctx.services.auth.createUser({ email: verifiedLocal, password: TEST_PASSWORD, name: 'Local', emailVerified: true });
    const second = await socialSignIn(providerAccount(verifiedLocal, false));
    expect(second.res.headers.location).toMatch(/error=account_not_linked/);
    expect(await whoami(second.jar)).toBeNull();

    for (const userId of [local.id, other.id]) {
      const rows = await t.ctx.db.selectFrom(TABLES.accounts).select('provider_id').where('user_id', '=', userId).execute();
      expect(rows.map((r) => r.provider_id)).toEqual(['credential']);
    }
  });

  it('refuses a callback whose state does not match, or that arrives without the browser state cookie (login CSRF)', async () => {
    const sub = providerAccount(uniqueEmail('state'));
    idp.clearCookies();
    const { jar, url } = await start();
    const back = await idp.authorize(url.href, sub);

    const tampered = new URL(back);
    tampered.searchParams.set('state', 'not-the-state-we-sent');
    const bad = await callback(tampered, jar);
    expect(bad.statusCode).toBe(302);
    expect(bad.headers.location).toMatch(/error=/);
    expect(await whoami(new CookieJar().store(bad))).toBeNull();

    // The victim's browser has no state cookie for the attacker's code.
    const foreign = await callback(back, new CookieJar());
    expect(foreign.statusCode).toBe(302);
    expect(foreign.headers.location).toMatch(/error=/);
    expect(([] as string[]).concat(foreign.headers['set-cookie'] ?? []).some((c) => c.includes('session_token=') && !/max-age=0/i.test(c))).toBe(false);
  });

  it('a callback with garbage or missing parameters redirects with an error and signs nobody in', async () => {
    for (const query of ['', '?code=x', '?state=y', '?code=x&state=y', '?error=access_denied&state=z']) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/auth/callback/${PROVIDER}${query}` });
      expect(res.statusCode, query).toBeGreaterThanOrEqual(300);
      expect(res.statusCode, query).toBeLessThan(500);
      expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).some((c) => c.includes('session_token=') && !/max-age=0/i.test(c))).toBe(false);
    }
  });

  it('refuses an unknown provider with a 4xx problem', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-in/social', headers: { origin: TEST_ORIGIN }, payload: { provider: 'myspace' } });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('configures Google and Facebook from yaml plus NEPTUNO_MODULES__AUTH__SOCIAL__* secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neptuno-social-'));
    try {
      writeFileSync(join(dir, 'neptuno.yaml'), 'modules:\n  auth:\n    social:\n      google:\n        clientId: google-client-id.apps.example\n      facebook:\n        clientId: "1234567890"\n');
      const { moduleConfigs } = loadConfig({
        cwd: dir,
        env: {
          NEPTUNO_MODULES__AUTH__SOCIAL__GOOGLE__CLIENT_SECRET: 'google-secret-from-env',
          NEPTUNO_MODULES__AUTH__SOCIAL__FACEBOOK__CLIENT_SECRET: 'facebook-secret-from-env',
        },
        modules: [auth],
      });
      const social = (moduleConfigs.auth as { social: Record<string, unknown> }).social;
      expect(social.google).toEqual({ clientId: 'google-client-id.apps.example', clientSecret: 'google-secret-from-env' });
      expect(social.facebook).toEqual({ clientId: '1234567890', clientSecret: 'facebook-secret-from-env' });

      const app = await createTestApp({ target, modules: [auth], replicaOf: t, config: { modules: { auth: { social } } } });
      try {
        const go = async (provider: string) => {
          const res = await app.app.inject({ method: 'POST', url: '/v1/auth/sign-in/social', headers: { origin: TEST_ORIGIN }, payload: { provider } });
          expect(res.statusCode).toBe(200);
          return new URL(res.json().url);
        };
        const google = await go('google');
        expect(google.origin).toBe('https://accounts.google.com');
        expect(google.searchParams.get('client_id')).toBe('google-client-id.apps.example');
        expect(google.searchParams.get('redirect_uri')).toBe(`${TEST_ORIGIN}/v1/auth/callback/google`);
        expect(google.searchParams.get('code_challenge_method')).toBe('S256');
        expect(google.searchParams.get('state')).toEqual(expect.any(String));
        const facebook = await go('facebook');
        expect(facebook.hostname).toMatch(/facebook\.com$/);
        expect(facebook.searchParams.get('client_id')).toBe('1234567890');
        expect(facebook.searchParams.get('redirect_uri')).toBe(`${TEST_ORIGIN}/v1/auth/callback/facebook`);
        expect(facebook.searchParams.get('state')).toEqual(expect.any(String));
      } finally {
        await app.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
