import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import { CookieJar, signIn, signUp, startTestSmtp, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, type TestSmtp } from './test-helpers.js';

/** The path and query of a link in an email, for app.inject. */
const pathOf = (link: string) => {
  const u = new URL(link);
  expect(u.origin).toBe(TEST_ORIGIN);
  return u.pathname + u.search;
};

describe.each(targets)('email verification and password reset over real SMTP on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({
      target,
      modules: [auth],
      config: {
        modules: { auth: { emailAndPassword: { requireEmailVerification: true }, mail: { smtpUrl: smtp.url, from: 'Neptuno <auth@neptuno.test>' } } },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('sends a verification link on sign-up; sign-in waits for it; following it verifies the email', async () => {
    const email = uniqueEmail('verify');
    expect((await signUp(t.app, { email })).statusCode).toBe(200);
    const mail = await smtp.waitFor(email, /Confirm your email/);
    expect(mail.from).toBe('auth@neptuno.test');
    expect(mail.text).toContain('Confirma tu dirección de email');
    expect(mail.link).toMatch(/\/v1\/auth\/verify-email\?token=/);

    const early = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/sign-in/email',
      headers: { origin: TEST_ORIGIN },
      payload: { email, password: TEST_PASSWORD },
    });
    expect(early.statusCode).toBe(403);
    expect(early.json().code).toBe('email_not_verified');

    const follow = await t.app.inject({ method: 'GET', url: pathOf(mail.link!) });
    expect(follow.statusCode).toBe(302);
    expect(follow.headers.location).toBe('/');

    const s = await signIn(t.app, { email });
    const user = await t.ctx.services.auth.getUser(s.userId);
    expect(user).toMatchObject({ email, emailVerified: true, role: 'user' });
  });

  it('refuses a forged verification token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/auth/verify-email?token=forged.token.value' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('resets a password through the emailed link, ending every session', async () => {
    const email = uniqueEmail('reset');
    await signUp(t.app, { email });
    await t.app.inject({ method: 'GET', url: pathOf((await smtp.waitFor(email, /Confirm your email/)).link!) });
    const before = await signIn(t.app, { email });

    const ask = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/request-password-reset',
      headers: { origin: TEST_ORIGIN },
      payload: { email, redirectTo: '/reset' },
    });
    expect(ask.statusCode).toBe(200);
    const mail = await smtp.waitFor(email, /choose a new password/);
    expect(mail.link).toMatch(/\/v1\/auth\/reset-password\//);

    // The link lands on better-auth, which checks the token and sends the browser to the app's page.
    const landing = await t.app.inject({ method: 'GET', url: pathOf(mail.link!) });
    expect(landing.statusCode).toBe(302);
    const target = new URL(landing.headers.location as string, TEST_ORIGIN);
    expect(target.pathname).toBe('/reset');
    const token = target.searchParams.get('token')!;
    expect(token).toBeTruthy();

    const weak = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/reset-password',
      headers: { origin: TEST_ORIGIN },
      payload: { token, newPassword: 'password123' },
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0]).toMatchObject({ pointer: '/body/newPassword', code: 'password_too_common' });

    const newPassword = 'brand new passphrase 2';
    const reset = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/reset-password',
      headers: { origin: TEST_ORIGIN },
      payload: { token, newPassword },
    });
    expect(reset.statusCode).toBe(200);

    const old = await t.app.inject({ method: 'GET', url: '/v1/auth/get-session', headers: { cookie: before.cookie } });
    expect(old.json()).toBeNull();
    await expect(signIn(t.app, { email })).rejects.toThrow(/401/);
    await signIn(t.app, { email, password: newPassword }, new CookieJar());

    const reuse = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/reset-password',
      headers: { origin: TEST_ORIGIN },
      payload: { token, newPassword: 'yet another passphrase' },
    });
    expect(reuse.statusCode).toBe(400);
    expect(reuse.json().code).toBe('invalid_token');
  });
});
