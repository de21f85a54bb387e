import { Type } from 'typebox';
import { conflict, notFound } from '../../core/http/problem.js';
import type { App, ModuleContext } from '../../core/module.js';
import { IdParams, Problem } from './api.js';
import type { NotificationsConfig } from './config.js';
import { pushOwner, registrationBudget } from './push-routes.js';
import type { NotificationService } from './service.js';

const DeviceView = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  platform: Type.String(),
  tokenEnd: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const DeviceBody = Type.Object(
  {
    provider: Type.Union([Type.Literal('fcm'), Type.Literal('onesignal')]),
    /** An FCM registration token, or a OneSignal subscription id. Printable ASCII, no spaces. */
    token: Type.String({ minLength: 8, maxLength: 4096, pattern: '^[\\x21-\\x7E]+$' }),
    platform: Type.Union([Type.Literal('android'), Type.Literal('ios'), Type.Literal('web')]),
  },
  { additionalProperties: false },
);

/** Mounted under /v1/notifications: the caller's mobile devices (FCM, OneSignal), users and guests. */
export async function deviceRoutes(app: App, ctx: ModuleContext<NotificationsConfig>) {
  const push = () => (ctx.services.notifications as NotificationService).push;
  const tags = ['notifications', 'push'];

  app.post(
    '/devices',
    {
      config: { scope: 'notifications:write' },
      schema: {
        tags,
        summary: "Register this device's push token for the caller (user or guest)",
        description:
          'Call on every app start and whenever the provider hands out a new token: the same token is one device (200), a new one 201; a token registered by another account moves to the caller. The provider must be switched on (404 push_channel_disabled).',
        body: DeviceBody,
        response: { 200: DeviceView, 201: DeviceView, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      const owner = await pushOwner(request);
      const accepts = push().acceptsDevices(request.body.provider);
      if (accepts === 'off') throw notFound('push_channel_disabled', { params: { channel: request.body.provider } });
      if (accepts === 'external_id') throw conflict('device_target_external_id');
      await registrationBudget(ctx, request, owner);
      const { device, created } = await push().devices.register(owner, request.body);
      return reply.code(created ? 201 : 200).send(device);
    },
  );

  app.get(
    '/devices',
    {
      config: { scope: 'notifications:read' },
      schema: { tags, summary: "The caller's registered devices, newest first", response: { 200: Type.Object({ data: Type.Array(DeviceView) }), 401: Problem, 403: Problem } },
    },
    async (request) => ({ data: await push().devices.list(await pushOwner(request)) }),
  );

  app.delete(
    '/devices/:id',
    {
      config: { scope: 'notifications:write' },
      schema: { tags, summary: 'Forget one of the caller\'s devices (sign-out on that device)', params: IdParams, response: { 204: Type.Null(), 401: Problem, 403: Problem, 404: Problem } },
    },
    async (request, reply) => {
      if (!(await push().devices.removeOwned(await pushOwner(request), request.params.id))) throw notFound('device_not_found');
      return reply.code(204).send(null);
    },
  );
}
