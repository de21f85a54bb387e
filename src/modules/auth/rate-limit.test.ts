import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import * as OTPAuth from 'otpauth';
import { CookieJar, startTestSmtp, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, type TestSmtp } from './test-helpers.js';

const limits = {
  enabled: true,
  signIn: { ip: { limit: 6, windowMs: 60_000 }, accountIp: { limit: 2, windowMs: 60_000 }, account: { limit: 3, windowMs: 60_000 } },
  signUp: { ip: { limit: 3, windowMs: 60_000 }, account: { limit: 5, windowMs: 60_000 } },
  passwordReset: { ip: { limit: 50, windowMs: 60_000 }, account: { limit: 2, windowMs: 60_000 } },
};

let ipCounter = 1;
/** A client address no other test uses (the app trusts X-Forwarded-For here). */
const nextIp = () => `203.0.113.${ipCounter++}`;

describe.each(targets)('auth rate limits on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;

  const config = (extra: Record<string, unknown> = {}) => ({
    server: { trustProxy: true },
    mail: { url: smtp.url },
    modules: { auth: { rateLimit: limits } },
    ...extra,
  });

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ target, modules: [auth], config: config() });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const signInFrom = (app: TestApp['app'], ip: string, email: string, password = 'wrong password here') =>
    app.inject({
      method: 'POST',
      url: '/v1/auth/sign-in/email',
      headers: { origin: TEST_ORIGIN, 'x-forwarded-for': ip },
      payload: { email, password },
    });

  /** Creates an account from an address of its own, so sign-up budgets stay out of the way. */
  const account = async () => {
    const email = uniqueEmail('rl');
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/sign-up/email',
      headers: { origin: TEST_ORIGIN, 'x-forwarded-for': nextIp() },
      payload: { email, password: TEST_PASSWORD, name: 'Rate' },
    });
    expect(res.statusCode).toBe(200);
    return email;
  };

  it('limits sign-in per account across IPs: 429 problem+json with Retry-After, even with the right password from a new address', async () => {
    const email = await account();
    for (let i = 0; i < 3; i++) expect((await signInFrom(t.app, nextIp(), email)).statusCode).toBe(401);
    const refused = await signInFrom(t.app, nextIp(), email, TEST_PASSWORD);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('limits sign-in per IP across accounts', async () => {
    const ip = nextIp();
    for (let i = 0; i < 6; i++) expect((await signInFrom(t.app, ip, uniqueEmail('probe'))).statusCode).toBe(401);
    const refused = await signInFrom(t.app, ip, uniqueEmail('probe'));
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    // Another client is unaffected.
    expect((await signInFrom(t.app, nextIp(), uniqueEmail('probe'))).statusCode).toBe(401);
  });

  it('a guesser at one address cannot lock the owner out: the owner signs in from another', async () => {
    const email = await account();
    const attacker = nextIp();
    expect((await signInFrom(t.app, attacker, email)).statusCode).toBe(401);
    expect((await signInFrom(t.app, attacker, email)).statusCode).toBe(401);
    // The (account, IP) budget is spent: even the right password from there waits.
    expect((await signInFrom(t.app, attacker, email, TEST_PASSWORD)).statusCode).toBe(429);
    expect((await signInFrom(t.app, nextIp(), email, TEST_PASSWORD)).statusCode).toBe(200);
  });

  it('after a distributed attack spends the account budget, the owner still gets in from an address they used before', async () => {
    const email = await account();
    const home = nextIp();
    expect((await signInFrom(t.app, home, email, TEST_PASSWORD)).statusCode).toBe(200);
    // The owner's sign-in counted too: two more attempts spend the account's budget (3).
    for (let i = 0; i < 2; i++) expect((await signInFrom(t.app, nextIp(), email)).statusCode).toBe(401);
    // The global budget is spent: a new address waits, even with the right password…
    expect((await signInFrom(t.app, nextIp(), email, TEST_PASSWORD)).statusCode).toBe(429);
    // …but the owner's usual address does not.
    expect((await signInFrom(t.app, home, email, TEST_PASSWORD)).statusCode).toBe(200);
    // It is still held to its own (account, IP) budget.
    expect((await signInFrom(t.app, home, email)).statusCode).toBe(401);
    expect((await signInFrom(t.app, home, email)).statusCode).toBe(401);
    expect((await signInFrom(t.app, home, email, TEST_PASSWORD)).statusCode).toBe(429);
  });

  it("a successful sign-in clears that address's budget", async () => {
    const email = await account();
    const home = nextIp();
    expect((await signInFrom(t.app, home, email)).statusCode).toBe(401);
    expect((await signInFrom(t.app, home, email, TEST_PASSWORD)).statusCode).toBe(200);
    expect((await signInFrom(t.app, home, email)).statusCode).toBe(401);
    expect((await signInFrom(t.app, home, email)).statusCode).toBe(401);
    expect((await signInFrom(t.app, home, email)).statusCode).toBe(429);
  });

  it('with 2FA, a right password alone does not clear the budget; the accepted second factor does', async () => {
    const email = await account();
    const home = nextIp();
    // Enrol: a normal sign-in (which clears the budget it used), then TOTP.
    const jar = new CookieJar();
    const first = await signInFrom(t.app, home, email, TEST_PASSWORD);
    expect(first.statusCode).toBe(200);
    jar.store(first);
    const post = (url: string, payload: object, j: CookieJar) =>
      t.app.inject({ method: 'POST', url: `/v1/auth${url}`, headers: { origin: TEST_ORIGIN, cookie: j.header(), 'x-forwarded-for': home }, payload });
    const enable = await post('/two-factor/enable', { password: TEST_PASSWORD }, jar);
    const totp = OTPAuth.URI.parse(enable.json().totpURI) as OTPAuth.TOTP;
    expect((await post('/two-factor/verify-totp', { code: totp.generate() }, jar)).statusCode).toBe(200);

    expect((await signInFrom(t.app, home, email)).statusCode).toBe(401);
    const challenge = await signInFrom(t.app, home, email, TEST_PASSWORD);
    expect(challenge.json()).toMatchObject({ twoFactorRedirect: true });
    // The password was right but the sign-in is not complete: the budget (2) is spent.
    expect((await signInFrom(t.app, home, email, TEST_PASSWORD)).statusCode).toBe(429);

    const pending = new CookieJar().store(challenge);
    expect((await post('/two-factor/verify-totp', { code: totp.generate() }, pending)).statusCode).toBe(200);
    // Signed in now: the budget is back.
    expect((await signInFrom(t.app, home, email)).statusCode).toBe(401);
    expect((await signInFrom(t.app, home, email)).statusCode).toBe(401);
    expect((await signInFrom(t.app, home, email)).statusCode).toBe(429);
  });

  it('limits sign-up per IP', async () => {
    const ip = nextIp();
    const up = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/auth/sign-up/email',
        headers: { origin: TEST_ORIGIN, 'x-forwarded-for': ip },
        payload: { email: uniqueEmail('su'), password: TEST_PASSWORD, name: 'Signup' },
      });
    for (let i = 0; i < 3; i++) expect((await up()).statusCode).toBe(200);
    expect((await up()).statusCode).toBe(429);
  });

  it('limits password-reset requests per account, answering the same for unknown emails', async () => {
    const ask = (email: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/auth/request-password-reset',
        headers: { origin: TEST_ORIGIN, 'x-forwarded-for': nextIp() },
        payload: { email },
      });
    for (const email of [await account(), uniqueEmail('ghost')]) {
      expect((await ask(email)).statusCode).toBe(200);
      expect((await ask(email)).statusCode).toBe(200);
      expect((await ask(email)).statusCode).toBe(429);
    }
  });

  it('keys limits on the client address Fastify trusts, not on a spoofed header', async () => {
    // Same database and Redis prefix as the main app (a replica), different proxy setting.
    const noProxy = await createTestApp({ target, modules: [auth], replicaOf: t, config: { server: { trustProxy: false } } });
    try {
      const email = uniqueEmail('spoof');
      // Without a trusted proxy every request is 127.0.0.1, whatever X-Forwarded-For claims.
      for (let i = 0; i < 6; i++) expect((await signInFrom(noProxy.app, nextIp(), `${i}.${email}`)).statusCode).toBe(401);
      expect((await signInFrom(noProxy.app, nextIp(), `x.${email}`)).statusCode).toBe(429);
    } finally {
      await noProxy.close();
    }
  });

  it('can be switched off in config', async () => {
    const off = await createTestApp({ target, modules: [auth], replicaOf: t, config: { modules: { auth: { rateLimit: { enabled: false } } } } });
    try {
      const email = uniqueEmail('off');
      for (let i = 0; i < 6; i++) expect((await signInFrom(off.app, '198.51.100.1', email)).statusCode).toBe(401);
    } finally {
      await off.close();
    }
  });

  it.runIf(target.redisUrl)('holds in total across two replicas sharing Redis', async () => {
    const b = await createTestApp({ target, modules: [auth], replicaOf: t });
    try {
      const email = await account();
      expect((await signInFrom(t.app, nextIp(), email)).statusCode).toBe(401);
      expect((await signInFrom(b.app, nextIp(), email)).statusCode).toBe(401);
      expect((await signInFrom(t.app, nextIp(), email)).statusCode).toBe(401);
      expect((await signInFrom(b.app, nextIp(), email)).statusCode).toBe(429);
      // The pair budget holds in total too.
      const ip = nextIp();
      const other = await account();
      expect((await signInFrom(t.app, ip, other)).statusCode).toBe(401);
      expect((await signInFrom(b.app, ip, other)).statusCode).toBe(401);
      expect((await signInFrom(t.app, ip, other)).statusCode).toBe(429);
    } finally {
      await b.close();
    }
  });
});
