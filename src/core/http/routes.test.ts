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
});
