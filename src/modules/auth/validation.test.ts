import { describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { TABLES } from './schema.js';
import { signIn, signUp, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, type TestSmtp, useAuthTestApp } from './test-helpers.js';

describe.each(targets)('auth input validation and enumeration safety on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;

  useAuthTestApp(target, { workers: true }, (f) => ({ t, smtp } = f));

  const countRows = async () => {
    const users = await t.ctx.db.selectFrom(TABLES.users).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const accounts = await t.ctx.db.selectFrom(TABLES.accounts).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return { users: Number(users.n), accounts: Number(accounts.n) };
  };

  const signUpRaw = (payload: unknown, lang = 'en') =>
    t.app.inject({
      method: 'POST',
      url: '/v1/auth/sign-up/email',
      headers: { origin: TEST_ORIGIN, 'accept-language': lang },
      payload: payload as object,
    });

  it.each([
    ['shorter than 10 characters', 'Sh0rt!pw', 'password_too_short'],
    ['in the common list', 'qwertyuiop', 'password_too_common'],
    ['a common stem with digits and symbols', 'Password2024!', 'password_too_common'],
    ['a digit run', '1234567890', 'password_too_common'],
    ['one repeated character', 'aaaaaaaaaaaa', 'password_too_common'],
  ])('refuses a password %s with a field error, writing nothing', async (_label, password, code) => {
    const before = await countRows();
    const res = await signUpRaw({ email: uniqueEmail(), password, name: 'Ana' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const body = res.json();
    expect(body.code).toBe('validation_failed');
    expect(body.errors).toEqual([expect.objectContaining({ pointer: '/body/password', code })]);
    expect(await countRows()).toEqual(before);
  });

  it('explains the password rule in the caller language', async () => {
    const res = await signUpRaw({ email: uniqueEmail(), password: 'corta', name: 'Ana' }, 'es');
    expect(res.json().errors[0].detail).toBe('La contraseña debe tener al menos 10 caracteres.');
  });

  it.each([
    ['an invalid email', { email: 'not-an-email', password: TEST_PASSWORD, name: 'Ana' }, '/body/email'],
    ['an oversized email', { email: `${'a'.repeat(250)}@example.com`, password: TEST_PASSWORD, name: 'Ana' }, '/body/email'],
    ['an oversized name', { email: 'x@example.com', password: TEST_PASSWORD, name: 'n'.repeat(101) }, '/body/name'],
    ['a blank name', { email: 'x@example.com', password: TEST_PASSWORD, name: '   ' }, '/body/name'],
    ['a control character in the name', { email: 'x@example.com', password: TEST_PASSWORD, name: 'Ana\u0000' }, '/body/name'],
    ['a newline in the name', { email: 'x@example.com', password: TEST_PASSWORD, name: 'Ana\r\nBcc: x@evil.example' }, '/body/name'],
    ['a control character in the password', { email: 'x@example.com', password: 'good passphrase\u0007', name: 'Ana' }, '/body/password'],
    ['an oversized password', { email: 'x@example.com', password: 'p'.repeat(2000), name: 'Ana' }, '/body/password'],
    ['an attempt to set the role', { email: 'x@example.com', password: TEST_PASSWORD, name: 'Ana', role: 'admin' }, '/body/role'],
  ])('refuses %s with 400 problem+json', async (_label, payload, pointer) => {
    const before = await countRows();
    const res = await signUpRaw(payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    expect(await countRows()).toEqual(before);
  });

  it('refuses a too-long password above the policy maximum (but within the hard bound)', async () => {
    const res = await signUpRaw({ email: uniqueEmail(), password: 'long passphrase '.repeat(10), name: 'Ana' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe('password_too_long');
  });

  it('answers a sign-up for a taken email exactly like a new one, and tells the owner by email', async () => {
    const email = uniqueEmail('taken');
    const first = await signUp(t.app, { email, name: 'Owner' });
    const before = await countRows();
    const again = await signUp(t.app, { email, name: 'Owner' });
    expect(again.statusCode).toBe(first.statusCode);
    const a = first.json();
    const b = again.json();
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(Object.keys(b.user).sort()).toEqual(Object.keys(a.user).sort());
    expect(b.token).toBeNull();
    expect(b.user.id).not.toBe(a.user.id);
    expect(await countRows()).toEqual(before);
    await smtp.waitFor(email, /Ya tienes una cuenta/); // no Accept-Language: i18n.defaultLocale (es)
  });

  it('answers a wrong password and an unknown email with the same 401 problem', async () => {
    const email = uniqueEmail();
    await signUp(t.app, { email });
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/sign-in/email',
      headers: { origin: TEST_ORIGIN },
      payload: { email, password: 'not the right password' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/sign-in/email',
      headers: { origin: TEST_ORIGIN },
      payload: { email: uniqueEmail('nobody'), password: 'not the right password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
    expect(wrong.json().code).toBe('invalid_email_or_password');
  });

  it('answers a password-reset request the same for known and unknown emails', async () => {
    const email = uniqueEmail();
    await signUp(t.app, { email });
    const req = (e: string) =>
      t.app.inject({ method: 'POST', url: '/v1/auth/request-password-reset', headers: { origin: TEST_ORIGIN }, payload: { email: e } });
    const known = await req(email);
    const unknown = await req(uniqueEmail('nobody'));
    expect(known.statusCode).toBe(200);
    expect(unknown.statusCode).toBe(200);
    expect(known.body).toBe(unknown.body);
  });

  it('two simultaneous sign-ups with one email create one account and no server error', async () => {
    const email = uniqueEmail('race');
    const answers = await Promise.all([signUp(t.app, { email }), signUp(t.app, { email }), signUp(t.app, { email })]);
    for (const a of answers) expect([200, 422]).toContain(a.statusCode);
    const users = await t.ctx.db.selectFrom(TABLES.users).select('id').where('email', '=', email).execute();
    expect(users).toHaveLength(1);
    const accounts = await t.ctx.db.selectFrom(TABLES.accounts).select('id').where('user_id', '=', users[0].id).execute();
    expect(accounts).toHaveLength(1);
  });

  it('path variants of the account endpoints do not slip past validation to better-auth', async () => {
    // A trailing slash is the same route (server.ts), so the same validation applies.
    const slash = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/sign-up/email/',
      headers: { origin: TEST_ORIGIN },
      payload: { email: uniqueEmail(), password: 'short', name: 'Variant' },
    });
    expect(slash.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    for (const url of ['/v1/auth/Sign-Up/Email', '/v1/auth//sign-up/email', '/v1/auth/sign-up%2Femail']) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { origin: TEST_ORIGIN },
        payload: { email: uniqueEmail(), password: 'short', name: 'Variant' },
      });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().code).toBe('route_not_found');
    }
  });

  it('answers paths better-auth does not serve with 404 before it sees them, and refuses deep bodies', async () => {
    for (const url of ['/v1/auth/does-not-exist', '/v1/auth/sign-in/nothing', '/v1/auth/two-factor/x']) {
      const res = await t.app.inject({ method: 'POST', url, headers: { origin: TEST_ORIGIN }, payload: { a: 1 } });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().code).toBe('route_not_found');
    }
    // better-auth's own endpoints without a schema of ours still get the kernel's depth limit.
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    for (const url of ['/v1/auth/sign-out', '/v1/auth/update-user', '/v1/auth/does-not-exist']) {
      const res = await t.app.inject({ method: 'POST', url, headers: { origin: TEST_ORIGIN, 'content-type': 'application/json' }, payload: deep });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().code).toBe('body_too_deep');
    }
    // What the catch-all used to forward is still served: better-auth's own routes by their table.
    expect((await t.app.inject({ url: '/v1/auth/ok' })).json()).toEqual({ ok: true });
  });

  it('normalizes the email case: sign-in works with different capitals', async () => {
    const email = uniqueEmail('Mixed');
    await signUp(t.app, { email });
    await signIn(t.app, { email: email.toUpperCase() });
  });
});
