import { Type } from 'typebox';
import { defaultScope } from '../http/scopes.js';
import { unauthorized } from '../http/problem.js';
import type { Actor } from '../http/access.js';
import type { App, KernelContext } from '../module.js';
import type { Reports } from './service.js';

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() }, { additionalProperties: true });
const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
const Schedule = Type.Object({
  id: Type.String(),
  report: Type.String(),
  tenantId: Type.Union([Type.String(), Type.Null()]),
  schedule: Type.String(),
  recipients: Type.Array(Type.String()),
  locale: Type.String(),
  nextRunAt: Type.String(),
  lastRunAt: Type.Union([Type.String(), Type.Null()]),
  lastFileId: Type.Union([Type.String(), Type.Null()]),
});

async function caller(request: { actor(): Promise<Actor | null> }): Promise<Actor> {
  const actor = await request.actor();
  if (!actor) throw unauthorized('authentication_required');
  return actor;
}

/** POST /v1/reports/:name — a report rendered now, for the caller's tenant (permission reports:read). */
export async function reportRoutes(app: App, ctx: KernelContext, reports: Reports) {
  app.addHook('onRequest', ctx.access.requirePermission('reports:read'));
  app.addHook('onRoute', defaultScope('reports:read'));
  app.post(
    '/:name',
    {
      schema: {
        tags: ['reports'],
        summary: 'Render a report now as PDF or HTML, for the caller’s tenant',
        params: NameParams,
        body: Type.Object(
          { format: Type.Optional(Type.Union([Type.Literal('pdf'), Type.Literal('html')])), locale: Type.Optional(Type.Union([Type.Literal('es'), Type.Literal('en')])) },
          { additionalProperties: false },
        ),
        produces: ['application/pdf', 'text/html'],
        response: { 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const actor = await caller(request);
      const body = request.body ?? {};
      const format = body.format ?? 'pdf';
      const doc = await reports.render(request.params.name, {
        tenantId: actor.tenantId,
        locale: body.locale ?? ctx.i18n.negotiate(request.headers['accept-language']),
        format,
      });
      const filename = `${request.params.name.replace(/[^a-z0-9-]+/gi, '-')}.${format}`;
      return reply.type(doc.contentType).header('content-disposition', `${format === 'pdf' ? 'attachment' : 'inline'}; filename="${filename}"`).send(doc.body as never);
    },
  );
}

/** /v1/admin/reports: the reports offered, and their schedules (per tenant). */
export async function reportAdminRoutes(app: App, ctx: KernelContext, reports: Reports) {
  app.addHook('onRequest', ctx.access.requireAdmin);
  app.addHook('onRoute', defaultScope('admin'));
  const tags = ['reports', 'admin'];
  app.get(
    '',
    { schema: { tags, summary: 'Reports the modules offer', response: { 200: Type.Object({ data: Type.Array(Type.Object({ name: Type.String(), title: Type.String() })) }) } } },
    async (request) => {
      const locale = ctx.i18n.negotiate(request.headers['accept-language']);
      return { data: [...reports.byName.entries()].map(([name, r]) => ({ name, title: r.def.title[locale] })) };
    },
  );
  app.get('/schedules', { schema: { tags, summary: 'Scheduled reports of the admin’s tenant', response: { 200: Type.Object({ data: Type.Array(Schedule) }) } } }, async (request) => ({
    data: await reports.listSchedules(await caller(request)),
  }));
  app.post(
    '/schedules',
    {
      schema: {
        tags,
        summary: 'Send a report by email on a schedule (croner pattern, UTC), for the admin’s tenant',
        body: Type.Object(
          {
            report: Type.String({ minLength: 1, maxLength: 100 }),
            schedule: Type.String({ minLength: 9, maxLength: 100 }),
            recipients: Type.Array(Type.String({ format: 'email', maxLength: 254 }), { minItems: 1, maxItems: 50 }),
            locale: Type.Optional(Type.Union([Type.Literal('es'), Type.Literal('en')])),
          },
          { additionalProperties: false },
        ),
        response: { 201: Schedule, 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await reports.createSchedule(request.body, await caller(request))),
  );
  app.delete(
    '/schedules/:id',
    { schema: { tags, summary: 'Stop a scheduled report', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 40 }) }), response: { 204: Type.Null(), 404: Problem } } },
    async (request, reply) => {
      await reports.deleteSchedule(request.params.id, await caller(request));
      return reply.code(204).send(null);
    },
  );
}
