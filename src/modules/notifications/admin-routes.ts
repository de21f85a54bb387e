import { Type } from 'typebox';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { conflict, notFound } from '../../core/http/problem.js';
import type { App, ModuleContext } from '../../core/module.js';
import { DeliveryDetail, DeliveryQuery, DeliverySchema, IdParams, NewsCreateBody, NewsPatchBody, NewsSchema, Problem, SendAnswer, SendBody } from './api.js';
import type { NotificationsConfig } from './config.js';
import type { Localized, NewsInput } from './news.js';
import type { NotificationService } from './service.js';

/** Mounted under /v1/admin/notifications; the kernel requires the admin role on every route. */
export async function notificationAdminRoutes(app: App, ctx: ModuleContext<NotificationsConfig>) {
  const svc = () => ctx.services.notifications as NotificationService;
  const tags = ['notifications', 'admin'];

  app.post(
    '/send',
    {
      schema: {
        tags,
        summary: 'Send a notification to a user, guest, tenant or segment',
        description:
          'Queued and answered at once (202); delivered by jobs. `key` makes the send idempotent: the same key answers the first ' +
          'notification (created: false); the same key for another type or target is 409 notification_key_reused. Unknown type or ' +
          'channel, or data that does not fill the templates: 422.',
        body: SendBody,
        response: { 202: SendAnswer, 400: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => reply.code(202).send(await svc().send(request.body)),
  );

  app.get(
    '/types',
    {
      schema: {
        tags,
        summary: 'Declared notification types',
        response: {
          200: Type.Object({
            data: Type.Array(Type.Object({ name: Type.String(), channels: Type.Array(Type.String()), optOut: Type.Boolean(), critical: Type.Boolean(), digest: Type.Boolean() })),
          }),
        },
      },
    },
    async () => ({
      data: svc()
        .types.names()
        .map((n) => svc().types.get(n)!)
        .map((t) => ({ name: t.name, channels: t.channels, optOut: t.optOut, critical: t.critical, digest: Boolean(t.digest) })),
    }),
  );

  app.get(
    '/deliveries',
    {
      schema: {
        tags,
        summary: 'Deliveries, most recently changed first (`?status=dead`: the dead letters)',
        querystring: DeliveryQuery,
        response: { 200: Page(DeliverySchema), 400: Problem },
      },
    },
    async (request) => svc().deliveries.list(request.query),
  );

  app.get(
    '/deliveries/:id',
    { schema: { tags, summary: 'One delivery with every attempt', params: IdParams, response: { 200: DeliveryDetail, 404: Problem } } },
    async (request) => svc().deliveries.get(request.params.id),
  );

  app.post(
    '/deliveries/:id/retry',
    {
      schema: {
        tags,
        summary: 'Queue a failed, bounced or dead delivery again',
        params: IdParams,
        response: { 202: DeliverySchema, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const outcome = await svc().retry(request.params.id);
      if (outcome === 'not_found') throw notFound('delivery_not_found');
      if (outcome === 'not_retryable') throw conflict('delivery_not_retryable');
      return reply.code(202).send(await svc().deliveries.get(request.params.id));
    },
  );

  app.post(
    '/news',
    {
      schema: {
        tags: [...tags, 'news'],
        summary: 'Create a news-bar item',
        description: 'audience: everyone (default), guests, users, role or tenant (then audienceValue names it). Shown between startsAt and endsAt.',
        body: NewsCreateBody,
        response: { 201: NewsSchema, 400: Problem },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const input: NewsInput = { ...b, title: b.title as Localized, body: b.body as Localized, audience: (b.audience ?? 'everyone') as NewsInput['audience'] };
      return reply.code(201).send(await svc().news.create(input));
    },
  );

  app.get(
    '/news',
    { schema: { tags: [...tags, 'news'], summary: 'News-bar items, newest first', querystring: PageQuery, response: { 200: Page(NewsSchema), 400: Problem } } },
    async (request) => svc().news.list(request.query),
  );

  app.get(
    '/news/:id',
    { schema: { tags: [...tags, 'news'], summary: 'One news-bar item', params: IdParams, response: { 200: NewsSchema, 404: Problem } } },
    async (request) => svc().news.get(request.params.id),
  );

  app.patch(
    '/news/:id',
    {
      schema: { tags: [...tags, 'news'], summary: 'Edit a news-bar item', params: IdParams, body: NewsPatchBody, response: { 200: NewsSchema, 400: Problem, 404: Problem } },
    },
    async (request) => svc().news.update(request.params.id, request.body as Partial<NewsInput>),
  );

  app.delete(
    '/news/:id',
    { schema: { tags: [...tags, 'news'], summary: 'Delete a news-bar item', params: IdParams, response: { 204: Type.Null(), 404: Problem } } },
    async (request, reply) => {
      await svc().news.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
}
