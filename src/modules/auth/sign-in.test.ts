import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as OTPAuth from 'otpauth';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import guests from '../guests/module.js';
import auth from './module.js';
import { CookieJar, signIn, signUp, signUpAndIn, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail } from './test-helpers.js';

/**
 * When a request counts as a sign-in (sign-in.ts): user.signed_in and the guest merge happen once
 * per real sign-in, after the second factor for 2FA accounts, and never for session rotations.
 */
const signedIn: string[] = [];
/** A module that keeps data per owner (a guest, then the user), moved on guest.merged. */
const items = new Map<string, string[]>();
const merges: Array<{ guestId: string; userId: string }> = [];
const probe = defineModule({
  name: 'probe',
  routes: async (app) => {
    app.get('/whoami', async (request) => ({ actor: await request.actor() }));
  },
  on: {
    'user.signed_in': (e) => void signedIn.push(e.userId),
    'guest.merged': (e) => {
      merges.push(e);
      items.set(e.userId, [...(items.get(e.userId) ?? []), ...(items.get(e.guestId) ?? [])]);
      items.delete(e.guestId);
    },
  },
});

describe.each(targets)('sign-in events and guest merge on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [auth, guests, probe] });
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (url: string, jar: CookieJar, payload?: object) =>
    t.app.inject({ method: 'POST', url: `/v1/auth${url}`, headers: { origin: TEST_ORIGIN, cookie: jar.header() }, payload: payload ?? {} });
  const eventsFor = (userId: string) => signedIn.filter((id) => id === userId).length;
  const mergesOf = (guestId: string) => merges.filter((m) => m.guestId === guestId);

  /** A guest with something to keep, and the jar holding its cookie. */
  async function guestWithData() {
    const jar = new CookieJar();
    const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { origin: TEST_ORIGIN } });
    expect(res.statusCode).toBe(201);
    jar.store(res);
    const guestId = res.json().id as string;
    items.set(guestId, ['badge:first-visit']);
    const cookieName = jar.names().find((n) => n.includes('guest'))!;
    return { jar, guestId, cookieName };
  }

  /** A user with TOTP enrolled and confirmed (signed in on `jar`). */
  async function twoFactorUser() {
    const s = await signUpAndIn(t.app);
    const enable = await post('/two-factor/enable', s.jar, { password: TEST_PASSWORD });
    expect(enable.statusCode).toBe(200);
    const { totpURI, backupCodes } = enable.json() as { totpURI: string; backupCodes: string[] };
    const totp = OTPAuth.URI.parse(totpURI) as OTPAuth.TOTP;
    const confirm = await post('/two-factor/verify-totp', s.jar, { code: totp.generate() });
    expect(confirm.statusCode).toBe(200);
    s.jar.store(confirm);
    return { ...s, totp, backupCodes };
  }

  it('2FA account: the password step fires nothing and merges nothing; the right code does both, once', async () => {
    const u = await twoFactorUser();
    // Sign-up + sign-in made one event; confirming enrolment rotated the session without another.
    expect(eventsFor(u.userId)).toBe(1);

    const { jar, guestId, cookieName } = await guestWithData();
    const password = await post('/sign-in/email', jar, { email: u.email, password: TEST_PASSWORD });
    expect(password.statusCode).toBe(200);
    expect(password.json()).toMatchObject({ twoFactorRedirect: true });
    jar.store(password);
    expect(eventsFor(u.userId)).toBe(1);
    expect(mergesOf(guestId)).toEqual([]);
    expect(items.get(guestId)).toEqual(['badge:first-visit']);
    const guestRow = await t.ctx.db.selectFrom('guests').select('merged_into_user_id').where('id', '=', guestId).executeTakeFirstOrThrow();
    expect(guestRow.merged_into_user_id).toBeNull();
    // The guest cookie survives the password step: the visitor is still that guest.
    expect(jar.get(cookieName)).toBeDefined();

    const code = await post('/two-factor/verify-totp', jar, { code: u.totp.generate() });
    expect(code.statusCode).toBe(200);
    jar.store(code);
    expect(eventsFor(u.userId)).toBe(2);
    expect(mergesOf(guestId)).toEqual([{ guestId, userId: u.userId }]);
    expect(items.get(u.userId)).toEqual(['badge:first-visit']);
    expect(jar.get(cookieName)).toBeUndefined();
    const who = await t.app.inject({ method: 'GET', url: '/v1/probe/whoami', headers: { cookie: jar.header() } });
    expect(who.json().actor).toMatchObject({ type: 'user', id: u.userId });
  });

  it('2FA account: a backup code finishes the sign-in with exactly one event', async () => {
    const u = await twoFactorUser();
    const before = eventsFor(u.userId);
    const jar = new CookieJar();
    jar.store(await post('/sign-in/email', jar, { email: u.email, password: TEST_PASSWORD }));
    expect(eventsFor(u.userId)).toBe(before);
    const res = await post('/two-factor/verify-backup-code', jar, { code: u.backupCodes[0] });
    expect(res.statusCode).toBe(200);
    expect(eventsFor(u.userId)).toBe(before + 1);
  });

  it('without 2FA: sign-up fires no sign-in, each sign-in fires one event and merges the guest once', async () => {
    const email = uniqueEmail('plain');
    expect((await signUp(t.app, { email })).statusCode).toBe(200);
    const { jar, guestId, cookieName } = await guestWithData();
    const s = await signIn(t.app, { email }, jar);
    expect(eventsFor(s.userId)).toBe(1);
    expect(mergesOf(guestId)).toEqual([{ guestId, userId: s.userId }]);
    expect(s.jar.get(cookieName)).toBeUndefined();
    await signIn(t.app, { email }, new CookieJar());
    expect(eventsFor(s.userId)).toBe(2);
  });

  it('session rotations are not sign-ins: password change, 2FA removal, get-session', async () => {
    const u = await twoFactorUser();
    const before = eventsFor(u.userId);
    const change = await post('/change-password', u.jar, { currentPassword: TEST_PASSWORD, newPassword: 'a brand new passphrase 2' });
    expect(change.statusCode).toBe(200);
    u.jar.store(change);
    const off = await post('/two-factor/disable', u.jar, { password: 'a brand new passphrase 2' });
    expect(off.statusCode).toBe(200);
    u.jar.store(off);
    expect((await t.app.inject({ method: 'GET', url: '/v1/auth/get-session', headers: { cookie: u.jar.header() } })).statusCode).toBe(200);
    expect(eventsFor(u.userId)).toBe(before);
  });
});
