import { defaultScope } from './scopes.js';
import { Type } from 'typebox';
import type { App, KernelContext } from '../module.js';
import { SettingsPatch } from '../config/settings.js';
import { Page, PageQuery } from '../db/paginate.js';
import { DateTime, parseDateTime } from './datetime.js';
import { badRequest, conflict, notFound } from './problem.js';
import { auditAdminRoutes } from '../audit/routes.js';

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
  await auditAdminRoutes(app, ctx);

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

  const JobParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
  /** Why remove/reschedule said no: the job is missing (404) or in a state that forbids it (409). */
  const refusal = async (id: string, code: string) => ((await ctx.queue.get(id)) ? conflict(code, { params: { id } }) : notFound('job_not_found', { params: { id } }));

  app.delete(
    '/jobs/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Remove a job that is not running (it will never run); 409 job_running while a worker holds it',
        params: JobParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      if (!(await ctx.queue.remove(id))) throw await refusal(id, 'job_running');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/jobs/:id/reschedule',
    {
      schema: {
        tags: ['admin'],
        summary: 'Move a waiting or delayed job to another time: exactly one of delayMs or runAt (ISO 8601)',
        params: JobParams,
        body: Type.Object(
          { delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 * 86_400_000 })), runAt: Type.Optional(DateTime()) },
          { additionalProperties: false },
        ),
        response: { 200: JobView },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = req.body as { delayMs?: number; runAt?: string };
      if ((body.delayMs === undefined) === (body.runAt === undefined)) {
        throw badRequest('validation_failed', { errors: [{ pointer: '/body', code: 'oneOf', detail: 'give exactly one of delayMs or runAt' }] });
      }
      // Ajv coerces a string "1e309" to Infinity and then skips the maximum: refuse it here.
      if (body.delayMs !== undefined && !Number.isFinite(body.delayMs)) {
        throw badRequest('validation_failed', { errors: [{ pointer: '/body/delayMs', code: 'finite', detail: 'must be a finite number' }] });
      }
      const runAt = body.runAt === undefined ? undefined : parseDateTime(body.runAt);
      if (runAt === null) throw badRequest('validation_failed', { errors: [{ pointer: '/body/runAt', code: 'format', detail: 'not a real date-time' }] });
      if (!(await ctx.queue.reschedule(id, runAt ? { runAt } : { delayMs: body.delayMs }))) throw await refusal(id, 'job_not_pending');
      return (await ctx.queue.get(id))!;
    },
  );
}
