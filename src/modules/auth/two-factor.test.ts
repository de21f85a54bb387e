import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOTP } from '@better-auth/utils/otp';
import { symmetricEncrypt } from 'better-auth/crypto';
import * as OTPAuth from 'otpauth';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import { PLUGIN_TABLES } from './plugins/migrations.js';
import { authRuntime } from './runtime.js';
import { CookieJar, signUpAndIn, TEST_ORIGIN, TEST_PASSWORD, type SignedIn } from './test-helpers.js';

/** RFC 6238 Appendix B, SHA-1: the shared secret is the ASCII string below. */
const RFC_SECRET = '12345678901234567890';
const RFC_VECTORS: Array<[seconds: number, code: string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

const probe = defineModule({
  name: 'probe',
  routes: async (app) => {
    app.get('/whoami', async (request) => ({ actor: await request.actor() }));
  },
});

/** What better-auth's /two-factor/verify-totp runs (totp/index.mjs): createOTP(secret, {digits, period}).verify(code). */
describe('TOTP verification against RFC 6238 Appendix B', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(RFC_VECTORS)('at T=%i accepts %s (8 digits) and its last 6 digits (6 digits)', async (seconds, code) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(seconds * 1000);
    expect(await createOTP(RFC_SECRET, { digits: 8, period: 30 }).verify(code, { window: 0 })).toBe(true);
    expect(await createOTP(RFC_SECRET, { digits: 6, period: 30 }).verify(code.slice(2), { window: 0 })).toBe(true);
    // A neighbour's code is not this step's code.
    expect(await createOTP(RFC_SECRET, { digits: 8, period: 30 }).verify(String((Number(code) + 1) % 1e8).padStart(8, '0'), { window: 0 })).toBe(false);
    // The otpauth package (an independent implementation) agrees, so the vectors are read right.
    expect(OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromLatin1(RFC_SECRET), algorithm: 'SHA1', digits: 8, period: 30, timestamp: seconds * 1000 })).toBe(code);
  });
});

describe.each(targets)('two-factor on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      target,
      modules: [auth, probe],
      config: {
        server: { trustProxy: true },
        modules: { auth: { rateLimit: { twoFactor: { ip: { limit: 1000, windowMs: 60_000 }, account: { limit: 4, windowMs: 60_000 } } } } },
      },
    });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await t?.close();
  });

  const post = (url: string, jar: CookieJar, payload: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `/v1/auth${url}`, headers: { origin: TEST_ORIGIN, cookie: jar.header(), ...headers }, payload });
  const whoami = async (jar: CookieJar) => (await t.app.inject({ method: 'GET', url: '/v1/probe/whoami', headers: { cookie: jar.header() } })).json().actor;
  const totpFromUri = (uri: string) => OTPAuth.URI.parse(uri) as OTPAuth.TOTP;

  /** A signed-in user with TOTP enrolled and confirmed. */
  async function enrolled(): Promise<SignedIn & { email: string; totp: OTPAuth.TOTP; backupCodes: string[] }> {
    const s = await signUpAndIn(t.app);
    const res = await post('/two-factor/enable', s.jar, { password: TEST_PASSWORD });
    expect(res.statusCode).toBe(200);
    const { totpURI, backupCodes } = res.json() as { totpURI: string; backupCodes: string[] };
    const totp = totpFromUri(totpURI);
    const confirm = await post('/two-factor/verify-totp', s.jar, { code: totp.generate() });
    expect(confirm.statusCode).toBe(200);
    s.jar.store(confirm);
    return { ...s, totp, backupCodes };
  }

  /** Password step of a sign-in; answers the jar holding the two_factor challenge cookie. */
  async function startSignIn(email: string, ip = '198.51.100.1') {
    const jar = new CookieJar();
    const res = await post('/sign-in/email', jar, { email, password: TEST_PASSWORD }, { 'x-forwarded-for': ip });
    expect(res.statusCode).toBe(200);
    jar.store(res);
    return { jar, body: res.json() as { twoFactorRedirect?: boolean; twoFactorMethods?: string[]; token?: string } };
  }

  it('enrols: password checked, otpauth URI with our issuer and digits, backup codes; on only after the first code', async () => {
    const s = await signUpAndIn(t.app);
    const wrong = await post('/two-factor/enable', s.jar, { password: 'not my password at all' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().code).toBe('invalid_password');

    const res = await post('/two-factor/enable', s.jar, { password: TEST_PASSWORD });
    expect(res.statusCode).toBe(200);
    const { totpURI, backupCodes } = res.json();
    const totp = totpFromUri(totpURI);
    expect(totp.issuer).toBe('Neptuno');
    expect(totp.digits).toBe(6);
    expect(totp.period).toBe(30);
    expect(backupCodes).toHaveLength(10);

    // Not confirmed yet: a password alone still signs in.
    const before = await startSignIn(s.email);
    expect(before.body.twoFactorRedirect).toBeUndefined();

    // The secret is stored encrypted, never as the base32 the app showed.
    const row = await t.ctx.db.selectFrom(PLUGIN_TABLES.twoFactors).selectAll().where('user_id', '=', s.userId).executeTakeFirstOrThrow();
    expect(row.secret).not.toContain(totp.secret.base32);

    const confirm = await post('/two-factor/verify-totp', s.jar, { code: totp.generate() });
    expect(confirm.statusCode).toBe(200);
    const user = await t.ctx.db.selectFrom('auth_users').select('two_factor_enabled').where('id', '=', s.userId).executeTakeFirstOrThrow();
    expect(Boolean(user.two_factor_enabled)).toBe(true);
  });

  it('sign-in then needs the second factor: no session until a right code; a wrong code is refused', async () => {
    const u = await enrolled();
    const { jar, body } = await startSignIn(u.email);
    expect(body).toMatchObject({ twoFactorRedirect: true, twoFactorMethods: ['totp'] });
    expect(jar.names()).toContain('__Secure-neptuno.two_factor');
    expect(jar.names()).not.toContain('__Secure-neptuno.session_token');
    expect(await whoami(jar)).toBeNull();

    const wrong = await post('/two-factor/verify-totp', jar, { code: '000000' === u.totp.generate() ? '111111' : '000000' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(wrong.json().code).toBe('invalid_code');
    expect(await whoami(jar)).toBeNull();
    const wrongEs = await post('/two-factor/verify-totp', jar, { code: '000000' === u.totp.generate() ? '111111' : '000000' }, { 'accept-language': 'es' });
    expect(wrongEs.json()).toMatchObject({ status: 401, code: 'invalid_code', title: 'Código no válido' });

    const right = await post('/two-factor/verify-totp', jar, { code: u.totp.generate() });
    expect(right.statusCode).toBe(200);
    jar.store(right);
    expect(await whoami(jar)).toMatchObject({ type: 'user', id: u.userId, via: 'session' });
  });

  it('rate-limits code guesses per account: 429 problem with Retry-After, across fresh challenges and IPs', async () => {
    const u = await enrolled();
    let last;
    for (let i = 0; i < 5; i++) {
      // A new challenge (and a new address) for each guess: the budget follows the account.
      const { jar } = await startSignIn(u.email, `198.51.100.${10 + i}`);
      last = await post('/two-factor/verify-totp', jar, { code: '999999' === u.totp.generate() ? '888888' : '999999' }, { 'x-forwarded-for': `198.51.100.${10 + i}` });
      if (i < 4) expect(last.statusCode).toBe(401);
    }
    expect(last!.statusCode).toBe(429);
    expect(last!.headers['retry-after']).toMatch(/^\d+$/);
    expect(last!.json().code).toBe('rate_limited');
    // Even the right code waits for the window now.
    const { jar } = await startSignIn(u.email, '198.51.100.30');
    expect((await post('/two-factor/verify-totp', jar, { code: u.totp.generate() })).statusCode).toBe(429);
  });

  it('a backup code finishes a sign-in once; used again it is refused', async () => {
    const u = await enrolled();
    const first = await startSignIn(u.email, '198.51.100.40');
    const ok = await post('/two-factor/verify-backup-code', first.jar, { code: u.backupCodes[0] });
    expect(ok.statusCode).toBe(200);
    first.jar.store(ok);
    expect(await whoami(first.jar)).toMatchObject({ id: u.userId });

    const second = await startSignIn(u.email, '198.51.100.41');
    const again = await post('/two-factor/verify-backup-code', second.jar, { code: u.backupCodes[0] });
    expect(again.statusCode).toBe(401);
    expect(await whoami(second.jar)).toBeNull();
    // Another, unused code still works.
    expect((await post('/two-factor/verify-backup-code', second.jar, { code: u.backupCodes[1] })).statusCode).toBe(200);
  });

  it('removal needs the password, deletes the secret, and sign-in is password-only again', async () => {
    const u = await enrolled();
    expect((await post('/two-factor/disable', u.jar, { password: 'wrong password again' })).statusCode).toBe(400);
    const off = await post('/two-factor/disable', u.jar, { password: TEST_PASSWORD });
    expect(off.statusCode).toBe(200);
    const rows = await t.ctx.db.selectFrom(PLUGIN_TABLES.twoFactors).select('id').where('user_id', '=', u.userId).execute();
    expect(rows).toHaveLength(0);
    const { body } = await startSignIn(u.email, '198.51.100.50');
    expect(body.twoFactorRedirect).toBeUndefined();
    expect(body.token).toEqual(expect.any(String));
  });

  it('answers 4xx problems without a session or challenge, never 500', async () => {
    const anon = new CookieJar();
    const enable = await post('/two-factor/enable', anon, { password: TEST_PASSWORD });
    expect(enable.statusCode).toBe(401);
    const verify = await post('/two-factor/verify-totp', anon, { code: '123456' });
    expect(verify.statusCode).toBe(401);
    expect(verify.json().code).toBe('invalid_two_factor_cookie');
    const forged = new CookieJar();
    forged.store({ headers: { 'set-cookie': '__Secure-neptuno.two_factor=2fa-made-up.c2lnbmF0dXJl' } } as never);
    expect((await post('/two-factor/verify-backup-code', forged, { code: 'abcde-fghij' })).statusCode).toBe(401);
    expect((await post('/two-factor/enable', anon, { password: { not: 'a string' } })).statusCode).toBe(400);
  });

  it('rejects malformed codes with 400 before better-auth sees them', async () => {
    const { jar } = await startSignIn((await enrolled()).email, '198.51.100.60');
    const res = await post('/two-factor/verify-totp', jar, { code: '12 34\n56' });
    expect(res.statusCode).toBe(400);
  });

  it('the RFC 6238 vectors pass through the endpoint: stored secret "12345678901234567890", fixed clock', async () => {
    const u = await enrolled();
    // Replace the enrolled secret by the RFC one, encrypted the way better-auth stores it.
    const context = await authRuntime(t.ctx as never).auth.$context;
    const secret = await symmetricEncrypt({ key: context.secretConfig, data: RFC_SECRET });
    await t.ctx.db.updateTable(PLUGIN_TABLES.twoFactors).set({ secret }).where('user_id', '=', u.userId).execute();

    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      for (const [seconds, code] of RFC_VECTORS) {
        vi.setSystemTime(seconds * 1000);
        const { jar } = await startSignIn(u.email, '198.51.100.70');
        // Another time's code is not accepted now.
        const other = RFC_VECTORS.find(([s]) => s !== seconds)![1];
        const refused = await post('/two-factor/verify-totp', jar, { code: other.slice(2) }, { 'x-forwarded-for': '198.51.100.70' });
        expect(refused.statusCode, `T=${seconds} other code`).toBe(401);
        const res = await post('/two-factor/verify-totp', jar, { code: code.slice(2) }, { 'x-forwarded-for': '198.51.100.70' });
        expect(res.statusCode, `T=${seconds}`).toBe(200);
      }
    } finally {
      vi.useRealTimers();
    }
  });
});
