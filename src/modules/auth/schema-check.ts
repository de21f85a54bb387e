import { getMigrations } from 'better-auth/db/migration';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { authRuntime } from './runtime.js';

/**
 * What better-auth (with the plugins the config turns on) would still create, add or index in
 * our tables; tests expect nothing. better-auth introspects every schema of the database, so a
 * schema another test run drops meanwhile (PostgreSQL 3F000) is retried.
 */
export async function betterAuthSchemaGaps(ctx: ModuleContext<AuthConfig>) {
  const { auth } = authRuntime(ctx);
  for (let attempt = 1; ; attempt++) {
    try {
      const plan = await getMigrations(auth.options, { throwOnUnsafe: false });
      return {
        toBeCreated: plan.toBeCreated.map((x) => x.table),
        toBeAdded: plan.toBeAdded.map((x) => `${x.table}: ${Object.keys(x.fields).join(', ')}`),
        toBeAddedIndexes: plan.toBeAddedIndexes.map((x) => x.name),
        schemaProblems: plan.schemaProblems,
      };
    } catch (err) {
      if ((err as { code?: string }).code !== '3F000' || attempt >= 5) throw err;
    }
  }
}
