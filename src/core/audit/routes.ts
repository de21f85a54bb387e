import { Type } from 'typebox';
import type { App, KernelContext } from '../module.js';
import { Page, PageQuery } from '../db/paginate.js';
import { DateTimeQuery, parseDateTime } from '../http/datetime.js';
import { badRequest } from '../http/problem.js';
import type { AuditActorType } from './types.js';

import type { TSchema } from 'typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const AuditRecordView = Type.Object({
  id: Type.String(),
  occurredAt: Type.String({ format: 'date-time' }),
  action: Type.String(),
  actor: Type.Object({ type: Type.String(), id: Nullable(Type.String()) }),
  target: Nullable(Type.Object({ type: Type.String(), id: Nullable(Type.String()) })),
  before: Nullable(Type.Record(Type.String(), Type.Unknown())),
  after: Nullable(Type.Record(Type.String(), Type.Unknown())),
  ip: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
});

const AuditFilters = Type.Object({
  ...PageQuery.properties,
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Actor id' })),
  actorType: Type.Optional(Type.Union(['user', 'guest', 'service', 'system', 'anonymous'].map((t) => Type.Literal(t)))),
  action: Type.Optional(
    Type.String({ pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*(\\.\\*)?$', maxLength: 100, description: 'Exact action, or a prefix such as `users.*`' }),
  ),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 360, pattern: '^[^:]{1,100}(:.{1,255})?$', description: 'Target type, or `type:id`' })),
  from: Type.Optional(DateTimeQuery({ description: 'Entries at or after this instant (ISO 8601)' })),
  to: Type.Optional(DateTimeQuery({ description: 'Entries before this instant (ISO 8601)' })),
});

/** GET /v1/admin/audit (mounted by the kernel under /v1/admin, admin-only). Append-only: there is no write route. */
export async function auditAdminRoutes(app: App, ctx: KernelContext) {
  app.get(
    '/audit',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Audit log, newest first: who did what to which thing (filter by actor, action, target, time)',
        querystring: AuditFilters,
        response: { 200: Page(AuditRecordView) },
      },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string; actor?: string; actorType?: AuditActorType; action?: string; target?: string; from?: string; to?: string };
      const from = q.from === undefined ? undefined : parseDateTime(q.from);
      const to = q.to === undefined ? undefined : parseDateTime(q.to);
      if (from === null) throw badRequest('validation_failed', { errors: [{ pointer: '/querystring/from', code: 'format', detail: 'not a real date' }] });
      if (to === null) throw badRequest('validation_failed', { errors: [{ pointer: '/querystring/to', code: 'format', detail: 'not a real date' }] });
      return ctx.audit.list({ ...q, from, to });
    },
  );
}
