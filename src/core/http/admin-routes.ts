import { defaultScope } from './scopes.js';
import { Type } from 'typebox';
import type { App, KernelContext } from '../module.js';
import { SettingsPatch } from '../config/settings.js';
import { Page, PageQuery } from '../db/paginate.js';
import { notFound } from './problem.js';

const SettingView = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  default: Type.Unknown(),
  description: Type.String(),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
});

const JobState = Type.Union(['waiting', 'delayed', 'active', 'completed', 'dead'].map((s) => Type.Literal(s)));
const JobView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  payload: Type.Unknown(),
  state: Type.String(),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  runAt: Type.String(),
  createdAt: Type.String(),
});

/** Kernel admin endpoints: runtime settings and the job queue. Mounted under /v1/admin, admin-only. */
export async function kernelAdminRoutes(app: App, ctx: KernelContext) {
  app.addHook('onRequest', ctx.access.requireAdmin);
  app.addHook('onRoute', defaultScope('admin'));

  app.get(
    '/settings',
    {
      schema: {
        tags: ['admin'],
        summary: 'Runtime settings with their defaults',
        response: { 200: Type.Object({ data: Type.Array(SettingView) }) },
      },
    },
    async () => ({ data: ctx.settings.list() }),
  );

  app.patch(
    '/settings',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change runtime settings (null resets one to its default); reaches every replica within a second',
        body: SettingsPatch,
        response: { 200: Type.Object({ data: Type.Array(SettingView) }) },
      },
    },
    async (req) => ({ data: await ctx.settings.update(req.body as Record<string, unknown>) }),
  );

  app.get(
    '/jobs',
    {
      schema: {
        tags: ['admin'],
        summary: 'Background jobs, newest first',
        querystring: Type.Intersect([PageQuery, Type.Object({ state: Type.Optional(JobState) })]),
        response: { 200: Page(JobView) },
      },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string; state?: 'dead' };
      return ctx.queue.list({ state: q.state, limit: q.limit, cursor: q.cursor });
    },
  );

  app.post(
    '/jobs/:id/retry',
    {
      schema: {
        tags: ['admin'],
        summary: 'Send a dead-letter job back to the queue',
        params: Type.Object({ id: Type.String({ maxLength: 200 }) }),
        response: { 200: Type.Object({ retried: Type.Boolean() }) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      if (!(await ctx.queue.retry(id))) throw notFound('job_not_found', { detail: `No dead job ${id}` });
      return { retried: true };
    },
  );
}
