import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMigrations } from 'better-auth/db/migration';
import type { ModuleContext } from '../../../core/module.js';
import { targets } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/app.js';
import type { AuthConfig } from '../config.js';
import auth from '../module.js';
import { authRuntime } from '../runtime.js';

/**
 * schema.test.ts with every plugin feature on (tenants are off by default): the migrations in
 * plugins/migrations.ts must leave better-auth nothing to create, add or index.
 */
describe.each(targets)('auth plugin tables match better-auth on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [auth], config: { modules: { auth: { tenants: { enabled: true }, twoFactor: { enabled: true }, jwt: { enabled: true } } } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('two-factor, organizations and jwks need no further migration', async () => {
    const { auth: instance } = authRuntime(t.ctx as ModuleContext<AuthConfig>);
    const plan = await getMigrations(instance.options, { throwOnUnsafe: false });
    expect(plan.toBeCreated.map((x) => x.table)).toEqual([]);
    expect(plan.toBeAdded.map((x) => `${x.table}: ${Object.keys(x.fields).join(', ')}`)).toEqual([]);
    expect(plan.toBeAddedIndexes.map((x) => x.name)).toEqual([]);
    expect(plan.schemaProblems).toEqual([]);
  });
});
