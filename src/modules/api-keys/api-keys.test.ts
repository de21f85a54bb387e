import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { defineModule } from '../../core/module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import auth from '../auth/module.js';
import { signUpAndIn, TEST_ORIGIN } from '../auth/test-helpers.js';
import apiKeys from './module.js';

/** Routes guarded the way modules guard theirs, to see what a key may do. */
const probe = defineModule({
  name: 'probe',
  routes: async (app, ctx) => {
    app.get('/me', { config: { scope: 'probe:me' } }, async (request) => ({ actor: await request.actor() }));
    app.get('/read', { config: { scope: 'posts:read' }, onRequest: ctx.access.requirePermission('posts:read') }, async () => ({ ok: true }));
    app.get('/write', { config: { scope: 'posts:write' }, onRequest: ctx.access.requirePermission('posts:write') }, async () => ({ ok: true }));
    app.get('/public', { config: { scope: 'public' } }, async (request) => ({ actor: await request.actor() }));
    app.get('/undeclared', async (request) => ({ actor: await request.actor() }));
  },
});

describe.each(targets)('api keys on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      target,
      modules: [auth, apiKeys, probe],
      config: {
        roles: { user: { permissions: ['posts:read', 'posts:write'] }, admin: { permissions: ['*'] } },
        modules: { 'api-keys': { extraScopes: ['billing:read'], maxKeysPerUser: 4, defaultRateLimitPerMinute: 1000 } },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const user = () => signUpAndIn(t.app);
  const create = (cookie: string, payload: object) =>
    t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { cookie, origin: TEST_ORIGIN }, payload });
  const withKey = (secret: string, url = '/v1/probe/me') => t.app.inject({ method: 'GET', url, headers: { 'x-api-key': secret } });

  it('creates a key whose secret is shown once and stored only as a SHA-256 hash', async () => {
    const u = await user();
    const res = await create(u.cookie, { name: 'CI deploy', scopes: null, expiresAt: null });
    expect(res.statusCode).toBe(201);
    const key = res.json();
    expect(key.secret).toMatch(/^npk_[A-Za-z0-9_-]{43}$/);
    expect(key).toMatchObject({ name: 'CI deploy', prefix: key.secret.slice(0, 12), scopes: null, rateLimitPerMinute: 1000, revokedAt: null });
    expect(res.headers.location).toBe(`/v1/api-keys/${key.id}`);

    const row = await t.ctx.db.selectFrom('api_keys').selectAll().where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(createHash('sha256').update(key.secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(key.secret);

    const list = await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: { cookie: u.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(key.secret);
    expect(list.json().data.map((k: { id: string }) => k.id)).toEqual([key.id]);
    const one = await t.app.inject({ method: 'GET', url: `/v1/api-keys/${key.id}`, headers: { cookie: u.cookie } });
    expect(one.json()).not.toHaveProperty('secret');
  });

  it('authenticates X-API-Key as the owner with the owner role and the key scopes', async () => {
    const u = await user();
    const key = (await create(u.cookie, { name: 'reader', scopes: ['posts:read', 'probe:me'] })).json();
    const me = await withKey(key.secret);
    expect(me.json().actor).toEqual({ type: 'user', id: u.userId, role: 'user', tenantId: null, via: 'api_key', scopes: ['posts:read', 'probe:me'] });
    expect((await withKey(key.secret, '/v1/probe/read')).statusCode).toBe(200);
    const write = await withKey(key.secret, '/v1/probe/write');
    expect(write.statusCode).toBe(403);
    expect(write.headers['content-type']).toMatch(/application\/problem\+json/);

    // Unscoped: the owner's whole role.
    const full = (await create(u.cookie, { name: 'full' })).json();
    expect((await withKey(full.secret, '/v1/probe/write')).statusCode).toBe(200);
    // An admin's key carries the admin role.
    const a = await user();
    await t.ctx.services.auth.setRole(a.userId, 'admin');
    const adminKey = (await create(a.cookie, { name: 'ops', scopes: ['billing:read'] })).json();
    expect((await withKey(adminKey.secret, '/v1/probe/public')).json().actor).toMatchObject({ role: 'admin', scopes: ['billing:read'] });
  });

  it('refuses a scoped key on a route whose scope it lacks, and on routes declaring none', async () => {
    const u = await user();
    const none = (await create(u.cookie, { name: 'nothing', scopes: [] })).json();
    for (const url of ['/v1/probe/me', '/v1/probe/read', '/v1/probe/undeclared']) {
      const res = await withKey(none.secret, url);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().code).toBe('insufficient_scope');
    }
    expect((await withKey(none.secret, '/v1/probe/me')).json().detail).toContain('probe:me');
    expect((await withKey(none.secret, '/v1/probe/public')).statusCode).toBe(200);
    // Patterns: `probe:*` covers probe:me; an unscoped key is not affected by declarations.
    const pattern = (await create(u.cookie, { name: 'probe all', scopes: ['probe:*'] })).json();
    expect((await withKey(pattern.secret, '/v1/probe/me')).statusCode).toBe(200);
    expect((await withKey(pattern.secret, '/v1/probe/read')).statusCode).toBe(403);
    const full = (await create(u.cookie, { name: 'full' })).json();
    expect((await withKey(full.secret, '/v1/probe/undeclared')).statusCode).toBe(200);
  });

  it('refuses scopes that are unknown or beyond the owner role', async () => {
    const u = await user();
    const res = await create(u.cookie, { name: 'greedy', scopes: ['posts:read', 'nope:x', 'billing:read', '*'] });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      expect.objectContaining({ pointer: '/body/scopes/1', code: 'unknown_scope' }),
      expect.objectContaining({ pointer: '/body/scopes/2', code: 'exceeds_role' }),
      expect.objectContaining({ pointer: '/body/scopes/3', code: 'exceeds_role' }),
    ]);
    const bad = await create(u.cookie, { name: 'x', expiresAt: '2001-01-01T00:00:00Z', rateLimitPerMinute: 999_999, extra: 1 });
    expect(bad.statusCode).toBe(400);
    const fields = await create(u.cookie, { name: 'x', expiresAt: '2001-01-01T00:00:00Z', rateLimitPerMinute: 999_999 });
    expect(fields.json().errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/body/expiresAt', '/body/rateLimitPerMinute']);
    // Far-future dates JavaScript accepts but the databases cannot store: a 500 before.
    for (const expiresAt of ['+275760-09-13T00:00:00.000Z', '9999-12-31T23:59:59-05:00']) {
      const res = await create(u.cookie, { name: 'far', expiresAt });
      expect(res.statusCode, expiresAt).toBe(400);
      expect(res.json().errors[0].pointer).toBe('/body/expiresAt');
    }
    expect(await t.ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', u.userId).execute()).toEqual([]);
  });

  it('answers 401 problem+json to unknown, malformed, revoked and expired keys', async () => {
    const u = await user();
    const revoked = (await create(u.cookie, { name: 'old' })).json();
    const expiring = (await create(u.cookie, { name: 'short', expiresAt: new Date(Date.now() + 3_600_000).toISOString() })).json();
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/api-keys/${revoked.id}`, headers: { cookie: u.cookie, origin: TEST_ORIGIN } });
    expect(del.statusCode).toBe(204);
    const past = new Date(Date.now() - 1000).toISOString();
    await t.ctx.db
      .updateTable('api_keys')
      .set({ expires_at: target.name === 'postgres' ? sql`cast(${past} as timestamptz)` : past })
      .where('id', '=', expiring.id)
      .execute();

    const cases: Array<[string, string]> = [
      [`npk_${'A'.repeat(43)}`, 'invalid_api_key'],
      ['not-a-key', 'invalid_api_key'],
      [revoked.secret, 'api_key_revoked'],
      [expiring.secret, 'api_key_expired'],
    ];
    for (const [secret, code] of cases) {
      const res = await withKey(secret);
      expect(res.statusCode, code).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json().code).toBe(code);
    }
  });

  it('limits each key to its requests per minute with 429 and Retry-After', async () => {
    const u = await user();
    const key = (await create(u.cookie, { name: 'slow', rateLimitPerMinute: 2 })).json();
    expect((await withKey(key.secret)).statusCode).toBe(200);
    expect((await withKey(key.secret)).statusCode).toBe(200);
    const limited = await withKey(key.secret);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('api_key_rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another key of the same user has its own budget.
    const other = (await create(u.cookie, { name: 'other' })).json();
    expect((await withKey(other.secret)).statusCode).toBe(200);
  });

  it('records last use, lists with pagination, revokes idempotently, only for the owner', async () => {
    const u = await user();
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) ids.push((await create(u.cookie, { name })).json().id);
    const first = (await t.ctx.db.selectFrom('api_keys').select('last_used_at').where('id', '=', ids[0]).executeTakeFirstOrThrow()).last_used_at;
    expect(first).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await t.app.inject({ method: 'GET', url, headers: { cookie: u.cookie } })).json() as { data: Array<{ id: string }>; nextCursor: string | null };
      seen.push(...page.data.map((k) => k.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());

    const stranger = await user();
    const steal = await t.app.inject({ method: 'DELETE', url: `/v1/api-keys/${ids[0]}`, headers: { cookie: stranger.cookie, origin: TEST_ORIGIN } });
    expect(steal.statusCode).toBe(404);
    expect(steal.json().code).toBe('api_key_not_found');
    for (let i = 0; i < 2; i++) {
      const res = await t.app.inject({ method: 'DELETE', url: `/v1/api-keys/${ids[0]}`, headers: { cookie: u.cookie, origin: TEST_ORIGIN } });
      expect(res.statusCode).toBe(204);
    }
    const active = await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: { cookie: u.cookie } });
    expect(active.json().data.map((k: { id: string }) => k.id).sort()).toEqual(ids.slice(1).sort());
    const all = await t.app.inject({ method: 'GET', url: '/v1/api-keys?includeRevoked=true', headers: { cookie: u.cookie } });
    expect(all.json().data.find((k: { id: string }) => k.id === ids[0]).revokedAt).not.toBeNull();
  });

  it('writes last_used_at when a key is used', async () => {
    const u = await user();
    const key = (await create(u.cookie, { name: 'used' })).json();
    await withKey(key.secret);
    await withKey(key.secret);
    const res = await t.app.inject({ method: 'GET', url: `/v1/api-keys/${key.id}`, headers: { cookie: u.cookie } });
    expect(res.json().lastUsedAt).not.toBeNull();
  });

  it('never lets an API key manage keys, and refuses anonymous callers', async () => {
    const u = await user();
    const key = (await create(u.cookie, { name: 'k' })).json();
    const viaKey = await t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { 'x-api-key': key.secret }, payload: { name: 'more' } });
    expect(viaKey.statusCode).toBe(403);
    expect(viaKey.json().code).toBe('api_key_cannot_manage_keys');
    expect((await t.app.inject({ method: 'GET', url: '/v1/api-keys' })).statusCode).toBe(401);
  });

  it('holds maxKeysPerUser under concurrent creates', async () => {
    const u = await user();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => create(u.cookie, { name: `k${i}` })));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(4);
    expect(results.filter((r) => r.statusCode === 409).every((r) => r.json().code === 'api_key_limit_reached')).toBe(true);
    const { n } = await t.ctx.db.selectFrom('api_keys').select((eb) => eb.fn.countAll().as('n')).where('user_id', '=', u.userId).executeTakeFirstOrThrow();
    expect(Number(n)).toBe(4);
  });

  it('deletes the keys of a deleted user and exports them without secrets', async () => {
    const u = await user();
    const key = (await create(u.cookie, { name: 'bye' })).json();
    const exported = (await t.ctx.privacy.exportUser(u.userId))['api-keys'] as Array<{ id: string }>;
    expect(exported.map((k) => k.id)).toEqual([key.id]);
    expect(JSON.stringify(exported)).not.toContain(key.secret);
    expect(JSON.stringify(exported)).not.toMatch(/key_?hash/i);
    await t.ctx.events.emit('user.deleted', { userId: u.userId });
    expect((await withKey(key.secret)).statusCode).toBe(401);
  });
});
