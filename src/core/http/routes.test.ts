import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { builtinModules } from '../../modules/index.js';

/** Rules every route of every shipped module follows, checked over the OpenAPI document. */
const ADMIN_TOKEN = 'route-rules-admin-token-0123456789abcdef';

interface Operation {
  path: string;
  method: string;
  op: Record<string, unknown>;
}

describe.each(targets)('route rules over every shipped module on %s', (target) => {
  let t: TestApp;
  let operations: Operation[];

  beforeAll(async () => {
    t = await createTestApp({ target, modules: builtinModules, config: { admin: { token: ADMIN_TOKEN } } });
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Record<string, unknown>>> };
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists no path with a trailing slash, and answers every path with or without one', async () => {
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.filter((o) => o.path !== '/' && o.path.endsWith('/')).map((o) => o.path)).toEqual([]);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const url of ['/v1/admin/guests', '/v1/admin/guests/', '/v1/admin/coupons', '/v1/admin/coupons/']) {
      const res = await t.app.inject({ method: 'GET', url, headers: admin });
      expect(res.statusCode, url).toBe(200);
    }
    expect((await t.app.inject({ method: 'GET', url: '/health/live/' })).statusCode).toBe(200);
  });

  it('every registered route declares the scope a scoped API key needs (deny by default)', () => {
    const routes = t.ctx.access.scopes.routes;
    expect(routes.length).toBeGreaterThan(40);
    const undeclared = routes.filter((r) => r.scope === undefined).map((r) => `${r.method} ${r.url}`);
    expect(undeclared).toEqual([]);
    // Group defaults: admin routes need `admin`, whatever module they belong to.
    for (const r of routes.filter((x) => x.url.startsWith('/v1/admin/'))) expect(r.scope, `${r.method} ${r.url}`).toBe('admin');
  });

  it('shows each operation’s scope in the OpenAPI document (x-scope)', () => {
    const missing = operations.filter((o) => typeof o.op['x-scope'] !== 'string').map((o) => `${o.method} ${o.path}`);
    expect(missing).toEqual([]);
    const scopeOf = (path: string, method: string) => operations.find((o) => o.path === path && o.method === method)?.op['x-scope'];
    expect(scopeOf('/v1/gamification/events', 'post')).toBe('gamification:events:write');
    expect(scopeOf('/v1/profile', 'patch')).toBe('profile:write');
    expect(scopeOf('/v1/public/guest', 'post')).toBe('public');
  });
});
