import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMigrations } from 'better-auth/db/migration';
import type { ModuleContext } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import type { AuthConfig } from './config.js';
import auth from './module.js';
import { authRuntime } from './runtime.js';

/**
 * Our migrations must create exactly what better-auth (with our plugins) expects. Whoever adds a
 * plugin with tables or user fields sees this test fail until the migration exists.
 */
describe.each(targets)('auth tables match better-auth on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [auth] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('leaves better-auth nothing to create, add or index', async () => {
    // The runtime is per app (keyed by its database), so the kernel context finds the module's.
    const { auth: instance } = authRuntime(t.ctx as ModuleContext<AuthConfig>);
    const plan = await getMigrations(instance.options, { throwOnUnsafe: false });
    expect(plan.toBeCreated.map((x) => x.table)).toEqual([]);
    expect(plan.toBeAdded.map((x) => `${x.table}: ${Object.keys(x.fields).join(', ')}`)).toEqual([]);
    expect(plan.toBeAddedIndexes.map((x) => x.name)).toEqual([]);
    expect(plan.schemaProblems).toEqual([]);
  });
});
