import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModuleContext } from '../../../core/module.js';
import { targets } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/app.js';
import type { AuthConfig } from '../config.js';
import auth from '../module.js';
import { betterAuthSchemaGaps } from '../schema-check.js';

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
    expect(await betterAuthSchemaGaps(t.ctx as ModuleContext<AuthConfig>)).toEqual({ toBeCreated: [], toBeAdded: [], toBeAddedIndexes: [], schemaProblems: [] });
  });
});
