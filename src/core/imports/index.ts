import type { AnyModule, App, KernelContext, ModuleContext } from '../module.js';
import { importMessages } from './messages.js';
import { runImport } from './run.js';
import { importRoutes } from './routes.js';
import type { ImportLimits } from './scan.js';
import { IMPORT_JOB, Imports } from './service.js';

export { defineImport, type ImportDefinition, type ImportBatchContext } from './types.js';
export { safeCell } from './safe-cell.js';
export { importMigrations } from './migrations.js';

/** Collects every enabled module's `imports`, registers the job, mounts /v1/admin/imports. */
export async function installImports(server: App, ctx: KernelContext, modules: AnyModule[], contexts: Map<string, ModuleContext>, limits: ImportLimits): Promise<Imports> {
  ctx.i18n.extend(importMessages);
  const entities = modules.flatMap((m) => (m.imports ?? []).map((def) => ({ entity: `${m.name}.${def.name}`, def, ctx: contexts.get(m.name)! })));
  const imports = new Imports(ctx, limits, entities);
  ctx.queue.register(IMPORT_JOB, (payload: { importId: string }, job) => runImport(imports, payload.importId, job));
  await server.register(async (scope) => importRoutes(scope as App, ctx, imports), { prefix: '/v1/admin/imports' });
  return imports;
}
