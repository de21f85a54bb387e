import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import { PLUGIN_TABLES } from './plugins/migrations.js';
import { requireTenant, scopeToTenant, tenantValue } from '../../core/db/tenant.js';
import { CookieJar, signIn, signUpAndIn, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, type SignedIn, type TestSmtp, useAuthTestApp } from './test-helpers.js';

/** A module with tenant-scoped rows, written the way a Neptuno module would use the helper. */
const notes = defineModule({
  name: 'notes',
  migrations: {
    '0001_notes': {
      async up(db) {
        await db.schema
          .createTable('notes_items')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text')
          .addColumn('body', 'text', (c) => c.notNull())
          .execute();
      },
    },
  },
  routes: async (app, ctx) => {
    app.get('/whoami', async (request) => ({ actor: await request.actor() }));
    app.get('/', async (request) => {
      const rows = await scopeToTenant(ctx.db.selectFrom('notes_items').select('body'), await request.actor()).orderBy('body').execute();
      return { data: rows.map((r) => r.body) };
    });
    app.post('/', { preHandler: ctx.access.requireUser }, async (request) => {
      const body = (request.body as { body: string }).body;
      await ctx.db.insertInto('notes_items').values({ id: Math.floor(Math.random() * 1e9), tenant_id: tenantValue(await request.actor()), body }).execute();
      return { ok: true };
    });
  },
});

describe('tenant helpers (src/core/db/tenant.ts)', () => {
  it('requireTenant answers the tenant, or 403 tenant_required without one; tenantValue follows the actor', () => {
    expect(requireTenant({ tenantId: 'org_1' })).toBe('org_1');
    for (const actor of [null, { tenantId: null }]) expect(() => requireTenant(actor)).toThrow(expect.objectContaining({ status: 403, code: 'tenant_required' }));
    expect(tenantValue({ tenantId: 'org_1' })).toBe('org_1');
    expect(tenantValue(null)).toBeNull();
  });
});

describe.each(targets)('tenants on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;

  useAuthTestApp(
    target,
    { modules: [auth, notes], workers: true /* emails are sent by a job */, config: { modules: { auth: { tenants: { enabled: true } } } } },
    (f) => ({ t, smtp } = f),
  );

  const call = (method: 'GET' | 'POST', url: string, s: Pick<SignedIn, 'cookie'>, payload?: object) =>
    t.app.inject({ method, url, headers: { origin: TEST_ORIGIN, cookie: s.cookie }, ...(payload ? { payload } : {}) });
  const whoami = async (s: Pick<SignedIn, 'cookie'>) => (await call('GET', '/v1/notes/whoami', s)).json().actor;
  const slug = () => `org-${Math.random().toString(36).slice(2, 10)}`;

  async function createOrg(owner: SignedIn, name = 'Acme') {
    const res = await call('POST', '/v1/auth/organization/create', owner, { name, slug: slug() });
    expect(res.statusCode).toBe(200);
    return (res.json() as { id: string }).id;
  }
  async function setActive(s: SignedIn, organizationId: string | null) {
    const res = await call('POST', '/v1/auth/organization/set-active', s, { organizationId });
    return res;
  }

  it('the active organization of the session is the actor tenant and the JWT tenant claim', async () => {
    const owner = await signUpAndIn(t.app);
    expect((await whoami(owner)).tenantId).toBeNull();
    const orgId = await createOrg(owner);
    const active = await setActive(owner, orgId);
    expect(active.statusCode).toBe(200);
    expect(await whoami(owner)).toMatchObject({ id: owner.userId, tenantId: orgId, via: 'session' });

    const token = (await call('GET', '/v1/auth/token', owner)).json().token as string;
    expect(decodeJwt(token).tenant).toBe(orgId);
    const viaJwt = (await t.app.inject({ method: 'GET', url: '/v1/notes/whoami', headers: { authorization: `Bearer ${token}` } })).json().actor;
    expect(viaJwt).toMatchObject({ via: 'jwt', tenantId: orgId });

    expect((await setActive(owner, null)).statusCode).toBe(200);
    expect((await whoami(owner)).tenantId).toBeNull();
  });

  it('invites by email, the invitee accepts and may then switch into the tenant; outsiders cannot', async () => {
    const owner = await signUpAndIn(t.app);
    const orgId = await createOrg(owner, 'Invites Inc');
    const email = uniqueEmail('invitee');
    const invite = await call('POST', '/v1/auth/organization/invite-member', owner, { email, role: 'member', organizationId: orgId });
    expect(invite.statusCode).toBe(200);
    const invitationId = (invite.json() as { id: string }).id;
    const mail = await smtp.waitFor(email, /Invites Inc/);
    expect(mail.text).toContain(invitationId);

    const outsider = await signUpAndIn(t.app);
    const refused = await setActive(outsider, orgId);
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);
    expect(refused.statusCode).toBeLessThan(500);
    expect((await whoami(outsider)).tenantId).toBeNull();
    // Someone else cannot take the invitation either.
    expect((await call('POST', '/v1/auth/organization/accept-invitation', outsider, { invitationId })).statusCode).toBeGreaterThanOrEqual(400);

    await t.ctx.services.auth.createUser({ email, password: TEST_PASSWORD, name: 'Invitee', emailVerified: true });
    const invitee = await signIn(t.app, { email }, new CookieJar());
    const accepted = await call('POST', '/v1/auth/organization/accept-invitation', invitee, { invitationId });
    expect(accepted.statusCode).toBe(200);
    expect((await setActive(invitee, orgId)).statusCode).toBe(200);
    expect((await whoami(invitee)).tenantId).toBe(orgId);
  });

  it('a removed member loses the tenant at once, although their session row still names it', async () => {
    const owner = await signUpAndIn(t.app);
    const orgId = await createOrg(owner, 'Removals');
    const member = await signUpAndIn(t.app);
    // Added directly: the invitation path is covered above.
    await t.ctx.db
      .insertInto(PLUGIN_TABLES.members)
      .values({ id: `m-${member.userId}`, organization_id: orgId, user_id: member.userId, role: 'member', created_at: t.ctx.dialect === 'postgres' ? new Date() : new Date().toISOString() })
      .execute();
    expect((await setActive(member, orgId)).statusCode).toBe(200);
    expect((await whoami(member)).tenantId).toBe(orgId);

    const removed = await call('POST', '/v1/auth/organization/remove-member', owner, { memberIdOrEmail: `m-${member.userId}`, organizationId: orgId });
    expect(removed.statusCode).toBe(200);
    const sessions = await t.ctx.db.selectFrom('auth_sessions').select('active_organization_id').where('user_id', '=', member.userId).execute();
    expect(sessions.map((s) => s.active_organization_id)).toContain(orgId);
    expect((await whoami(member)).tenantId).toBeNull();
  });

  it('scopeToTenant: each tenant sees its own rows, a caller without tenant only untenanted rows', async () => {
    const a = await signUpAndIn(t.app);
    const b = await signUpAndIn(t.app);
    const untenanted = `plain-${a.userId}`;
    expect((await call('POST', '/v1/notes', a, { body: untenanted })).statusCode).toBe(200);
    // Creating an organization also makes it the session's active one.
    const orgA = await createOrg(a, 'A');
    const orgB = await createOrg(b, 'B');
    await setActive(a, orgA);
    await setActive(b, orgB);
    await call('POST', '/v1/notes', a, { body: `a-${orgA}` });
    await call('POST', '/v1/notes', b, { body: `b-${orgB}` });

    expect((await call('GET', '/v1/notes', a)).json().data).toEqual([`a-${orgA}`]);
    expect((await call('GET', '/v1/notes', b)).json().data).toEqual([`b-${orgB}`]);
    await setActive(a, null);
    const plain = (await call('GET', '/v1/notes', a)).json().data as string[];
    expect(plain).toContain(untenanted);
    expect(plain.some((n) => n.startsWith('a-') || n.startsWith('b-'))).toBe(false);
  });

  it('a user is a member of an organization once, even when two additions race', async () => {
    const owner = await signUpAndIn(t.app);
    const orgId = await createOrg(owner, 'Race');
    const user = await signUpAndIn(t.app);
    const now = t.ctx.dialect === 'postgres' ? new Date() : new Date().toISOString();
    const add = (id: string) =>
      t.ctx.db.insertInto(PLUGIN_TABLES.members).values({ id, organization_id: orgId, user_id: user.userId, role: 'member', created_at: now }).execute();
    const results = await Promise.allSettled([add('race-1'), add('race-2')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rows = await t.ctx.db.selectFrom(PLUGIN_TABLES.members).select('id').where('organization_id', '=', orgId).where('user_id', '=', user.userId).execute();
    expect(rows).toHaveLength(1);
  });
});

describe.each(targets)('single tenant (default) on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ target, modules: [auth, notes] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('does not mount the organization endpoints, and actors have no tenant', async () => {
    const s = await signUpAndIn(t.app);
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/organization/create', headers: { origin: TEST_ORIGIN, cookie: s.cookie }, payload: { name: 'X', slug: 'x-org' } });
    expect(res.statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/v1/auth/organization/list', headers: { cookie: s.cookie } })).statusCode).toBe(404);
    const actor = (await t.app.inject({ method: 'GET', url: '/v1/notes/whoami', headers: { cookie: s.cookie } })).json().actor;
    expect(actor).toMatchObject({ id: s.userId, tenantId: null });
  });
});
