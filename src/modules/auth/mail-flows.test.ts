import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import { CookieJar, signIn, signUp, startTestSmtp, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, type TestSmtp, useAuthTestApp } from './test-helpers.js';

/** The path and query of a link in an email, for app.inject. */
const pathOf = (link: string) => {
  const u = new URL(link);
  expect(u.origin).toBe(TEST_ORIGIN);
  return u.pathname + u.search;
};

describe.each(targets)('email verification and password reset over real SMTP (ctx.mail) on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;

  useAuthTestApp(
    target,
    {
      workers: true, // ctx.mail sends through a job
      config: { mail: { from: 'Neptuno <auth@neptuno.test>' }, modules: { auth: { emailAndPassword: { requireEmailVerification: true } } } },
    },
    (f) => ({ t, smtp } = f),
  );

  it('sends a verification link on sign-up; sign-in waits for it; following it verifies the email', async () => {
    const email = uniqueEmail('verify');
    expect((await signUp(t.app, { email })).statusCode).toBe(200);
    // No Accept-Language: the default locale (es), HTML and text parts.
    const mail = await smtp.waitFor(email, /Confirma tu email/);
    expect(mail.from).toBe('auth@neptuno.test');
    expect(mail.subject).toBe('Confirma tu email');
    expect(mail.text).toContain('Hola Test User:');
    expect(mail.text).toContain('Confirmar mi email: http');
    expect(mail.link).toMatch(/\/v1\/auth\/verify-email\?token=/);
    expect(mail.html).toContain('/v1/auth/verify-email?token&#x3D;'); // the same link, attribute-escaped

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
    await t.app.inject({ method: 'GET', url: pathOf((await smtp.waitFor(email, /Confirma tu email/)).link!) });
    const before = await signIn(t.app, { email });

    const ask = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/request-password-reset',
      headers: { origin: TEST_ORIGIN },
      payload: { email, redirectTo: '/reset' },
    });
    expect(ask.statusCode).toBe(200);
    const mail = await smtp.waitFor(email, /Restablece tu contraseña/);
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

  it('writes in the language the request asks for, escaping the name in HTML', async () => {
    const email = uniqueEmail('english');
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/sign-up/email',
      headers: { origin: TEST_ORIGIN, 'accept-language': 'en-GB,en;q=0.9' },
      payload: { email, password: TEST_PASSWORD, name: '<i>Bob</i>' },
    });
    expect(res.statusCode).toBe(200);
    const mail = await smtp.waitFor(email);
    expect(mail.subject).toBe('Confirm your email');
    expect(mail.text).toContain('Hi <i>Bob</i>,');
    expect(mail.text).toContain('Confirm my email: http');
    expect(mail.html).toContain('Hi &lt;i&gt;Bob&lt;/i&gt;,');
    expect(mail.html).toContain('<html lang="en">');
  });
});

describe.each(targets)('deprecated modules.auth.mail on %s', (target) => {
  it('still sends through its SMTP URL for one release, and says so in the log', async () => {
    const smtp = await startTestSmtp();
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const t = await createTestApp({
      target,
      modules: [auth],
      workers: true,
      logger: pino({ level: 'warn' }, sink),
      config: { modules: { auth: { mail: { smtpUrl: smtp.url, from: 'Legacy <legacy@neptuno.test>' } } } },
    });
    try {
      const email = uniqueEmail('legacy');
      expect((await signUp(t.app, { email })).statusCode).toBe(200);
      const mail = await smtp.waitFor(email);
      expect(mail.from).toBe('legacy@neptuno.test');
      expect(lines.filter((l) => /modules\.auth\.mail is deprecated/.test(l.msg))).toHaveLength(1);
    } finally {
      await t.close();
      await smtp.close();
    }
  });
});
