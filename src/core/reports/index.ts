import type { CronScheduler } from '../drivers/cron/scheduler.js';
import type { AnyModule, App, KernelContext, ModuleContext } from '../module.js';
import { reportAdminRoutes, reportRoutes } from './routes.js';
import { REPORT_JOB, Reports } from './service.js';

export { defineReport, type ReportDefinition, type ReportData, type ReportQueryContext } from './types.js';
export { reportMigrations } from './schedules.js';
export { renderHtml, renderPdf } from './render.js';

/** Collects the modules' reports, registers the send job and the per-minute dispatch cron, mounts the routes. */
export async function installReports(server: App, ctx: KernelContext, modules: AnyModule[], contexts: Map<string, ModuleContext>, cron: CronScheduler): Promise<Reports> {
  const reports = new Reports(
    ctx,
    modules.flatMap((m) => (m.reports ?? []).map((def) => ({ name: `${m.name}.${def.name}`, def, ctx: contexts.get(m.name)! }))),
  );
  ctx.queue.register(REPORT_JOB, (p: { scheduleId: string; runAt: string }) => reports.send(p.scheduleId, p.runAt));
  cron.add({ name: 'core.reports-dispatch', schedule: '* * * * *', run: async () => void (await reports.dispatchDue()) });
  await server.register(async (scope) => reportRoutes(scope as App, ctx, reports), { prefix: '/v1/reports' });
  await server.register(async (scope) => reportAdminRoutes(scope as App, ctx, reports), { prefix: '/v1/admin/reports' });
  return reports;
}
