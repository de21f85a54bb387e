import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { CookieJar, signUpAndIn, TEST_ORIGIN } from '../../testing/auth.js';
import { startTestSmtp, type TestSmtp } from '../../testing/smtp.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import { notificationsApp } from './testing.js';
import { FakeTwilio } from './twilio-fake.js';

/**
 * One-time codes end to end: better-auth's emailOTP and phoneNumber plugins send through the
 * notifications channels (a real SMTP server, the local Twilio), codes are hashed at rest and
 * sealed in the notification, wrong codes and too many attempts are refused, asking is rate limited.
 */
describe.each(targets)('one-time codes by email and SMS on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;
  let twilio: FakeTwilio;
  let seq = 0;
  const number = () => `+5731${String(process.pid % 100000).padStart(5, '0')}${String(seq++).padStart(3, '0')}`;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    twilio = await FakeTwilio.start();
    t = await notificationsApp(target, {
      smtpUrl: smtp.url,
      notifications: {
        quietHours: { enabled: true, start: '00:00', end: '23:59' }, // codes are critical: never held
        channels: { inapp: { enabled: true }, email: { enabled: true }, sms: { enabled: true } },
        twilio: { accountSid: twilio.accountSid, authToken: twilio.authToken, baseUrl: twilio.url, smsFrom: '+15005550006', statusCallbacks: false },
      },
      root: {
        modules: {
          auth: {
            otp: { email: { enabled: true }, phone: { enabled: true }, allowedAttempts: 3 },
            rateLimit: { otpSend: { ip: { limit: 1000, windowMs: 60_000 }, account: { limit: 4, windowMs: 3_600_000 } } },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
    await twilio?.close();
  });

  const post = (url: string, payload: object, cookie?: string, lang = 'en') =>
    t.app.inject({ method: 'POST', url: `/v1/auth${url}`, headers: { origin: TEST_ORIGIN, 'accept-language': lang, ...(cookie ? { cookie } : {}) }, payload });
  const verifications = (identifier: string) =>
    t.ctx.db.selectFrom('auth_verifications' as never).selectAll().where('identifier' as never, '=', identifier as never).execute() as Promise<{ value: string }[]>;

  it('signs in with a code sent by email; the code is hashed at rest and sealed in the notification', async () => {
    const u = await signUpAndIn(t.app);
    await smtp.waitFor(u.email); // the verification email of the sign-up
    expect((await post('/email-otp/send-verification-otp', { email: u.email, type: 'sign-in' })).statusCode).toBe(200);
    const mail = await smtp.waitFor(u.email, /is your code/);
    const code = /^(\d{6}) is your code$/.exec(mail.subject)![1];
    expect(mail.text).toContain(`Your code is ${code}. It expires in 5 minutes.`);

    const [row] = await verifications(`sign-in-otp-${u.email}`);
    expect(row.value).not.toContain(code);
    const notes = (await t.ctx.db.selectFrom('notif_notifications' as never).selectAll().where('type' as never, '=', 'auth_otp' as never).execute()) as { data: string; sealed: string }[];
    expect(notes.length).toBeGreaterThan(0);
    for (const n of notes) expect(`${n.data}${n.sealed}`).not.toContain(code);

    const wrong = await post('/sign-in/email-otp', { email: u.email, otp: code === '000000' ? '111111' : '000000' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().code).toBe('invalid_otp');
    const ok = await post('/sign-in/email-otp', { email: u.email, otp: code });
    expect(ok.statusCode).toBe(200);
    const jar = new CookieJar().store(ok);
    const me = await t.app.inject({ method: 'GET', url: '/v1/auth/get-session', headers: { cookie: jar.header() } });
    expect(me.json().user.id).toBe(u.userId);
    // Spent: the same code does not work twice.
    expect((await post('/sign-in/email-otp', { email: u.email, otp: code })).statusCode).toBe(400);
  });

  it('refuses the right code after too many wrong ones, in the caller\'s language', async () => {
    const u = await signUpAndIn(t.app);
    await smtp.waitFor(u.email);
    await post('/email-otp/send-verification-otp', { email: u.email, type: 'email-verification' });
    const code = /^(\d{6}) is your code$/.exec((await smtp.waitFor(u.email, /is your code/)).subject)![1];
    const bad = code === '999999' ? '888888' : '999999';
    for (let i = 0; i < 3; i++) expect((await post('/email-otp/verify-email', { email: u.email, otp: bad })).statusCode).toBeGreaterThanOrEqual(400);
    const refused = await post('/email-otp/verify-email', { email: u.email, otp: code }, undefined, 'es');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'too_many_attempts', title: 'Demasiados intentos' });
  });

  it('verifies a phone number by SMS, then signs in with a code sent to it', async () => {
    const u = await signUpAndIn(t.app);
    const phone = number();
    expect((await post('/phone-number/send-otp', { phoneNumber: phone }, u.cookie)).statusCode).toBe(200);
    const sms = await waitFor(() => twilio.to(phone)[0], 'the SMS');
    const code = /Your code is (\d{6})\./.exec(sms.body)![1];
    const [stored] = await verifications(`phone-number-otp-${phone}`);
    expect(stored.value).toMatch(/^h1\.[A-Za-z0-9_-]{43}:0$/);

    expect((await post('/phone-number/verify', { phoneNumber: phone, code, updatePhoneNumber: true }, u.cookie)).statusCode).toBe(200);
    const account = await t.ctx.services.auth.getUser(u.userId);
    expect(account).toMatchObject({ phoneNumber: phone, phoneNumberVerified: true });

    // Signed out: a code to the verified number signs that account in.
    expect((await post('/phone-number/send-otp', { phoneNumber: phone })).statusCode).toBe(200);
    const second = await waitFor(() => twilio.to(phone)[1], 'the second SMS');
    const code2 = /Your code is (\d{6})\./.exec(second.body)![1];
    const signedIn = await post('/phone-number/verify', { phoneNumber: phone, code: code2 });
    expect(signedIn.statusCode).toBe(200);
    const me = await t.app.inject({ method: 'GET', url: '/v1/auth/get-session', headers: { cookie: new CookieJar().store(signedIn).header() } });
    expect(me.json().user.id).toBe(u.userId);

    // Wrong codes: two refused, the third spends the code; asking again is limited per number.
    await post('/phone-number/send-otp', { phoneNumber: phone });
    const third = await waitFor(() => twilio.to(phone)[2], 'the third SMS');
    const code3 = /Your code is (\d{6})\./.exec(third.body)![1];
    const bad = code3 === '123456' ? '654321' : '123456';
    const first = await post('/phone-number/verify', { phoneNumber: phone, code: bad });
    expect(first.json().code).toBe('invalid_otp');
    expect((await post('/phone-number/verify', { phoneNumber: phone, code: bad })).statusCode).toBe(400);
    expect((await post('/phone-number/verify', { phoneNumber: phone, code: bad })).json().code).toBe('too_many_attempts');
    expect((await post('/phone-number/verify', { phoneNumber: phone, code: code3 })).statusCode).toBe(400);

    expect((await post('/phone-number/send-otp', { phoneNumber: phone })).statusCode).toBe(200);
    expect((await post('/phone-number/send-otp', { phoneNumber: phone })).statusCode).toBe(429);
    expect((await post('/phone-number/send-otp', { phoneNumber: '0300 123' })).json().code).toBe('invalid_phone_number');
  });

  it('answers malformed requests with a 4xx problem, never a 5xx', async () => {
    const cases: [string, unknown][] = [
      ['/email-otp/send-verification-otp', {}],
      ['/email-otp/send-verification-otp', { email: 'not-an-email', type: 'sign-in' }],
      ['/email-otp/send-verification-otp', { email: 'a@example.com', type: 'nope' }],
      ['/sign-in/email-otp', { email: 'a@example.com' }],
      ['/sign-in/email-otp', { email: ['x'], otp: { $gt: '' } }],
      ['/email-otp/verify-email', { email: 'nobody@example.com', otp: '1'.repeat(5000) }],
      ['/phone-number/send-otp', { phoneNumber: 123 }],
      ['/phone-number/send-otp', { phoneNumber: '+57300'.padEnd(3000, '1') }],
      ['/phone-number/verify', { phoneNumber: '+573009999999', code: '123456' }],
      ['/phone-number/verify', { phoneNumber: null, code: null }],
    ];
    for (const [url, payload] of cases) {
      const res = await t.app.inject({ method: 'POST', url: `/v1/auth${url}`, headers: { origin: TEST_ORIGIN, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
      expect(res.statusCode, `${url} ${JSON.stringify(payload).slice(0, 60)}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });
});
