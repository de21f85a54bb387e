import { describe, expect, it } from 'vitest';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { recordEvents, type EventRecorder } from '../../testing/events.js';
import guests from '../guests/module.js';
import auth from './module.js';
import { createAdmin } from './admin.js';
import { TABLES } from './schema.js';
import { PLUGIN_TABLES } from './plugins/migrations.js';
import * as OTPAuth from 'otpauth';
import { CookieJar, signIn, signUp, signUpAndIn, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, useAuthTestApp } from './test-helpers.js';

/** Shows the actor. */
const probe = defineModule({
  name: 'probe',
  routes: async (app, ctx) => {
    app.get('/whoami', async (request) => ({ actor: await request.actor() }));
    app.get('/admin-only', { preHandler: ctx.access.requireAdmin }, async () => ({ ok: true }));
  },
});

describe.each(targets)('auth service, roles and identity events on %s', (target) => {
  let t: TestApp;
  /** The identity events the app commits. */
  let events: EventRecorder;
  const seen = {
    get registered() {
      return events.payloads('user.registered');
    },
    get signedIn() {
      return events.payloads('user.signed_in').map((e) => e.userId);
    },
    get merged() {
      return events.payloads('guest.merged');
    },
  };

  useAuthTestApp(
    target,
    {
      modules: [auth, guests, probe],
      config: { roles: { user: { permissions: [] }, editor: { permissions: ['posts:*'] }, admin: { permissions: ['*'] } } },
    },
    (f) => {
      t = f.t;
      events = recordEvents(t);
    },
  );

  const whoami = async (cookie: string) => (await t.app.inject({ method: 'GET', url: '/v1/probe/whoami', headers: { cookie } })).json().actor;

  it('createAdmin makes a verified admin that passes requireAdmin; there is no default admin', async () => {
    const count = await t.ctx.db.selectFrom(TABLES.users).select('id').where('role', '=', 'admin').execute();
    expect(count).toHaveLength(0);
    const email = uniqueEmail('admin');
    const { id } = await createAdmin(t.ctx, { email, password: 'an admin passphrase 1', name: 'Admin' });
    expect(await t.ctx.services.auth.getUser(id)).toMatchObject({ email, role: 'admin', emailVerified: true });
    const s = await signIn(t.app, { email, password: 'an admin passphrase 1' });
    expect(await whoami(s.cookie)).toMatchObject({ id, role: 'admin' });
    expect((await t.app.inject({ method: 'GET', url: '/v1/probe/admin-only', headers: { cookie: s.cookie } })).statusCode).toBe(200);
  });

  it('createUser applies the password policy and refuses a duplicate email with 409', async () => {
    const email = uniqueEmail();
    await expect(t.ctx.services.auth.createUser({ email, password: 'password123', name: 'X' })).rejects.toMatchObject({
      status: 400,
      opts: { errors: [expect.objectContaining({ code: 'password_too_common' })] },
    });
    await t.ctx.services.auth.createUser({ email, password: TEST_PASSWORD, name: 'X' });
    await expect(t.ctx.services.auth.createUser({ email: email.toUpperCase(), password: TEST_PASSWORD, name: 'Y' })).rejects.toMatchObject({
      status: 409,
      code: 'email_taken',
    });
  });

  it('setRole validates role names against neptuno.yaml and the actor sees the new role at once', async () => {
    const s = await signUpAndIn(t.app);
    expect(await whoami(s.cookie)).toMatchObject({ role: 'user' });
    await expect(t.ctx.services.auth.setRole(s.userId, 'superhero')).rejects.toMatchObject({ status: 400, code: 'unknown_role' });
    await t.ctx.services.auth.setRole(s.userId, 'editor');
    expect(await whoami(s.cookie)).toMatchObject({ role: 'editor' });
    expect((await t.app.inject({ method: 'GET', url: '/v1/probe/admin-only', headers: { cookie: s.cookie } })).statusCode).toBe(403);
    await expect(t.ctx.services.auth.setRole('no-such-user', 'editor')).rejects.toMatchObject({ status: 404 });
  });

  it('updateUser changes name and image, refusing control characters', async () => {
    const s = await signUpAndIn(t.app);
    await t.ctx.services.auth.updateUser(s.userId, { name: 'Renamed', image: 'https://cdn.example.com/a.png' });
    expect(await t.ctx.services.auth.getUser(s.userId)).toMatchObject({ name: 'Renamed', image: 'https://cdn.example.com/a.png' });
    await expect(t.ctx.services.auth.updateUser(s.userId, { name: 'Bad\u0007' })).rejects.toMatchObject({ status: 400 });
    await expect(t.ctx.services.auth.updateUser(s.userId, { image: 'not a url' })).rejects.toMatchObject({ status: 400 });
  });

  it('anonymizeUser keeps the id, replaces personal data, ends sessions and frees the email', async () => {
    const s = await signUpAndIn(t.app, { name: 'Real Name' });
    await t.ctx.services.auth.anonymizeUser(s.userId);
    const user = await t.ctx.services.auth.getUser(s.userId);
    expect(user).toMatchObject({ id: s.userId, name: 'Deleted user', image: null });
    expect(user!.email).not.toBe(s.email);
    expect(await whoami(s.cookie)).toBeNull();
    const accounts = await t.ctx.db.selectFrom(TABLES.accounts).select('id').where('user_id', '=', s.userId).execute();
    expect(accounts).toHaveLength(0);
    await expect(signIn(t.app, { email: s.email })).rejects.toThrow(/401/);
    // The address can sign up again, as a new account.
    expect((await signUp(t.app, { email: s.email })).statusCode).toBe(200);
    const again = await signIn(t.app, { email: s.email });
    expect(again.userId).not.toBe(s.userId);
  });

  it('anonymizeUser also turns 2FA off and drops its secret, challenges, memberships and invitations', async () => {
    const s = await signUpAndIn(t.app, { name: 'Two Factor Person' });
    const post = (url: string, payload: object, cookie = s.jar.header()) =>
      t.app.inject({ method: 'POST', url: `/v1/auth${url}`, headers: { origin: TEST_ORIGIN, cookie }, payload });
    const enable = await post('/two-factor/enable', { password: TEST_PASSWORD });
    const totp = OTPAuth.URI.parse(enable.json().totpURI) as OTPAuth.TOTP;
    expect((await post('/two-factor/verify-totp', { code: totp.generate() })).statusCode).toBe(200);
    // A pending sign-in challenge (a verification row holding the user id).
    const challenge = await post('/sign-in/email', { email: s.email, password: TEST_PASSWORD }, '');
    expect(challenge.json()).toMatchObject({ twoFactorRedirect: true });
    // A membership and an invitation addressed to them (tenants may be off today, the tables exist).
    const now = t.ctx.dialect === 'postgres' ? new Date() : new Date().toISOString();
    const later = t.ctx.dialect === 'postgres' ? new Date(Date.now() + 3_600_000) : new Date(Date.now() + 3_600_000).toISOString();
    const orgId = `org-${s.userId}`;
    await t.ctx.db.insertInto(PLUGIN_TABLES.organizations).values({ id: orgId, name: 'Org', slug: orgId.toLowerCase(), created_at: now }).execute();
    await t.ctx.db.insertInto(PLUGIN_TABLES.members).values({ id: `m-${s.userId}`, organization_id: orgId, user_id: s.userId, role: 'owner', created_at: now }).execute();
    await t.ctx.db
      .insertInto(PLUGIN_TABLES.invitations)
      .values({ id: `i-${s.userId}`, organization_id: orgId, email: s.email, role: 'member', status: 'pending', expires_at: later, created_at: now, inviter_id: s.userId })
      .execute();

    await t.ctx.services.auth.anonymizeUser(s.userId);

    const user = await t.ctx.db.selectFrom(TABLES.users).selectAll().where('id', '=', s.userId).executeTakeFirstOrThrow();
    expect(Boolean(user.two_factor_enabled)).toBe(false);
    expect(Boolean(user.email_verified)).toBe(false);
    expect(user).toMatchObject({ name: 'Deleted user', image: null, email: `deleted-${s.userId.toLowerCase()}@deleted.invalid` });
    const left = async (table: string, column: string, value: string) =>
      (await t.ctx.db.selectFrom(table as never).select('id' as never).where(column as never, '=', value as never).execute()).length;
    expect(await left(PLUGIN_TABLES.twoFactors, 'user_id', s.userId)).toBe(0);
    expect(await left(PLUGIN_TABLES.members, 'user_id', s.userId)).toBe(0);
    expect(await left(PLUGIN_TABLES.invitations, 'email', s.email)).toBe(0);
    expect(await left(TABLES.verifications, 'value', s.userId)).toBe(0);
    expect(await left(TABLES.sessions, 'user_id', s.userId)).toBe(0);
    // Nothing personal is left in the privacy export either.
    const exported = JSON.stringify(await t.ctx.privacy.exportUser(s.userId));
    expect(exported).not.toContain(s.email);
    expect(exported).not.toContain('Two Factor Person');
  });

  it('fires user.registered once per account and user.signed_in per session', async () => {
    const email = uniqueEmail('events');
    await signUp(t.app, { email });
    await signUp(t.app, { email }); // duplicate: no new account, no event
    const registered = seen.registered.filter((e) => e.email === email);
    expect(registered).toHaveLength(1);
    const s = await signIn(t.app, { email });
    expect(registered[0].userId).toBe(s.userId);
    await signIn(t.app, { email }, new CookieJar());
    expect(seen.signedIn.filter((id) => id === s.userId)).toHaveLength(2);
  });

  it('merges the guest into the user on sign-in, once, and clears the guest cookie', async () => {
    const jar = new CookieJar();
    const guest = await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { origin: TEST_ORIGIN } });
    expect(guest.statusCode).toBeLessThan(300);
    jar.store(guest);
    const guestId = guest.json().id as string;
    const guestCookie = jar.names().find((n) => n.includes('guest'))!;
    expect(guestCookie).toBeDefined();

    const email = uniqueEmail('guest');
    await signUp(t.app, { email });
    const s = await signIn(t.app, { email, password: TEST_PASSWORD }, jar);
    expect(seen.merged.filter((m) => m.guestId === guestId)).toEqual([{ guestId, userId: s.userId }]);
    expect(s.jar.get(guestCookie)).toBeUndefined();
    expect(await whoami(s.cookie)).toMatchObject({ type: 'user', id: s.userId });

    // Signing in again with the old guest cookie replayed merges nothing twice.
    const replay = new CookieJar();
    replay.store({ headers: { 'set-cookie': `${guestCookie}=${guest.cookies.find((c) => c.name === guestCookie)!.value}` } } as never);
    await signIn(t.app, { email }, replay);
    expect(seen.merged.filter((m) => m.guestId === guestId)).toHaveLength(1);
  });

  it('exports the account data for the privacy export', async () => {
    const s = await signUpAndIn(t.app);
    const data = (await t.ctx.privacy.exportUser(s.userId)) as { auth: { user: { email: string }; sessions: unknown[]; accounts: Array<{ provider: string }> } };
    expect(data.auth.user.email).toBe(s.email);
    expect(data.auth.sessions).toHaveLength(1);
    expect(data.auth.accounts).toEqual([expect.objectContaining({ provider: 'credential' })]);
    expect(data.auth).toMatchObject({ twoFactor: { enabled: false }, memberships: [] });
  });

  it('the export says whether 2FA is on (never the secret or codes) and lists organization memberships', async () => {
    const s = await signUpAndIn(t.app);
    const post = (url: string, payload: object) =>
      t.app.inject({ method: 'POST', url: `/v1/auth${url}`, headers: { origin: TEST_ORIGIN, cookie: s.jar.header() }, payload });
    const enable = await post('/two-factor/enable', { password: TEST_PASSWORD });
    const { totpURI, backupCodes } = enable.json() as { totpURI: string; backupCodes: string[] };
    const totp = OTPAuth.URI.parse(totpURI) as OTPAuth.TOTP;
    const confirm = await post('/two-factor/verify-totp', { code: totp.generate() });
    expect(confirm.statusCode).toBe(200);
    const now = t.ctx.dialect === 'postgres' ? new Date() : new Date().toISOString();
    for (const [n, role] of [[1, 'owner'], [2, 'member']] as const) {
      const orgId = `org${n}-${s.userId}`;
      await t.ctx.db.insertInto(PLUGIN_TABLES.organizations).values({ id: orgId, name: `Org ${n}`, slug: orgId.toLowerCase(), created_at: now }).execute();
      await t.ctx.db.insertInto(PLUGIN_TABLES.members).values({ id: `m${n}-${s.userId}`, organization_id: orgId, user_id: s.userId, role, created_at: now }).execute();
    }

    const data = (await t.ctx.privacy.exportUser(s.userId)) as { auth: Record<string, unknown> };
    expect(data.auth.twoFactor).toEqual({ enabled: true });
    expect(data.auth.memberships).toEqual(
      expect.arrayContaining([
        { tenantId: `org1-${s.userId}`, organization: 'Org 1', role: 'owner', joinedAt: expect.any(String) },
        { tenantId: `org2-${s.userId}`, organization: 'Org 2', role: 'member', joinedAt: expect.any(String) },
      ]),
    );
    expect(data.auth.memberships).toHaveLength(2);
    const json = JSON.stringify(data);
    const secretRow = await t.ctx.db.selectFrom(PLUGIN_TABLES.twoFactors).selectAll().where('user_id', '=', s.userId).executeTakeFirstOrThrow();
    for (const hidden of [totp.secret.base32, secretRow.secret, secretRow.backup_codes, ...backupCodes]) expect(json).not.toContain(hidden);
    expect(json).not.toMatch(/argon2|secret|backup/i);
  });
});
