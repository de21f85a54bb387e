import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModuleContext } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import type { AuthConfig } from './config.js';
import auth from './module.js';
import { betterAuthSchemaGaps } from './schema-check.js';

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
    expect(await betterAuthSchemaGaps(t.ctx as ModuleContext<AuthConfig>)).toEqual({ toBeCreated: [], toBeAdded: [], toBeAddedIndexes: [], schemaProblems: [] });
  });
});
