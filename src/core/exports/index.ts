import type { App, KernelContext } from '../module.js';
import { exportRoutes } from './routes.js';

export { exportStream, type ExportFormat } from './write.js';
export { walkList, listUrl } from './walk.js';

/** Mounts /v1/admin/exports. */
export async function installExports(server: App, ctx: KernelContext): Promise<void> {
  await server.register(async (scope) => exportRoutes(scope as App, ctx), { prefix: '/v1/admin/exports' });
}
