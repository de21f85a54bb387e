import { Type } from 'typebox';
import { PageQuery } from '../../core/db/paginate.js';
import type { App, ModuleContext } from '../../core/module.js';
import { IdParams, InboxItemSchema, InboxPage, PreferencesPatch, PreferencesSchema, Problem } from './api.js';
import type { NotificationsConfig } from './config.js';
import type { InboxOwner } from './inbox.js';
import { deviceRoutes } from './device-routes.js';
import { webPushRoutes } from './push-routes.js';
import type { NotificationService } from './service.js';

/** Mounted under /v1/notifications: the caller's inbox (users and guests) and preferences (users). */
export async function notificationRoutes(app: App, ctx: ModuleContext<NotificationsConfig>) {
  const svc = () => ctx.services.notifications as NotificationService;
  const tags = ['notifications'];
  const owner = async (request: { actor(): Promise<{ type: string; id: string } | null> }): Promise<InboxOwner> => {
    const actor = (await request.actor())!;
    // The admin token (a service actor) has no inbox of its own: it reads an empty one.
    return { type: actor.type === 'guest' ? 'guest' : 'user', id: actor.type === 'service' ? `service:${actor.id}` : actor.id };
  };

  app.get(
    '',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'notifications:read' },
      schema: {
        tags,
        summary: "The caller's inbox, newest first, with the unread count",
        description: 'Users and guests. Live updates arrive on the realtime channel user:{id} / guest:{id} (kind "notifications").',
        querystring: Type.Object({ ...PageQuery.properties, unread: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: InboxPage, 400: Problem, 401: Problem },
      },
    },
    async (request) => svc().inbox.list(await owner(request), { limit: request.query.limit, cursor: request.query.cursor, unreadOnly: request.query.unread }),
  );

  app.post(
    '/:id/read',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'notifications:write' },
      schema: { tags, summary: 'Mark one inbox item read', params: IdParams, response: { 200: InboxItemSchema, 401: Problem, 404: Problem } },
    },
    async (request) => svc().inbox.markRead(await owner(request), request.params.id),
  );

  app.post(
    '/read-all',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'notifications:write' },
      schema: { tags, summary: 'Mark every inbox item read', response: { 200: Type.Object({ updated: Type.Integer() }), 401: Problem } },
    },
    async (request) => ({ updated: await svc().inbox.readAll(await owner(request)) }),
  );

  app.delete(
    '/:id',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'notifications:write' },
      schema: { tags, summary: 'Delete one inbox item', params: IdParams, response: { 204: Type.Null(), 401: Problem, 404: Problem } },
    },
    async (request, reply) => {
      await svc().inbox.remove(await owner(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/preferences',
    {
      preHandler: ctx.access.requirePerson,
      config: { scope: 'notifications:read' },
      schema: {
        tags,
        summary: 'Which notification types reach the caller on which channel',
        description: 'optOut false: mandatory types, always on.',
        response: { 200: PreferencesSchema, 401: Problem, 403: Problem },
      },
    },
    async (request) => ({ data: await svc().preferences.list((await request.actor())!.id) }),
  );

  app.patch(
    '/preferences',
    {
      preHandler: ctx.access.requirePerson,
      config: { scope: 'notifications:write' },
      schema: {
        tags,
        summary: 'Switch notification types on or off per channel',
        description: 'type "*" switches a whole channel (for every type that allows opting out). All changes apply or none.',
        body: PreferencesPatch,
        response: { 200: PreferencesSchema, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => ({ data: await svc().preferences.update((await request.actor())!.id, request.body.changes) }),
  );

  app.post(
    '/news/:id/dismiss',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'notifications:write' },
      schema: { tags, summary: 'Hide a news-bar item for the caller (user or guest)', params: IdParams, response: { 204: Type.Null(), 401: Problem, 404: Problem, 409: Problem } },
    },
    async (request, reply) => {
      const actor = (await request.actor())!;
      await svc().news.dismiss({ ...actor, type: actor.type === 'guest' ? 'guest' : 'user', id: actor.type === 'service' ? `service:${actor.id}` : actor.id }, request.params.id);
      return reply.code(204).send(null);
    },
  );

  await webPushRoutes(app, ctx);
  await deviceRoutes(app, ctx);
}
