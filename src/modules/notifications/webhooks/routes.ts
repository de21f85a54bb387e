import { Type } from 'typebox';
import { Page } from '../../../core/db/paginate.js';
import type { App, ModuleContext } from '../../../core/module.js';
import { Problem } from '../api.js';
import type { NotificationsConfig } from '../config.js';
import type { NotificationService } from '../service.js';
import {
  DeliveryParams,
  EndpointCreateBody,
  EndpointParams,
  EndpointPatchBody,
  EndpointQuery,
  EndpointSchema,
  EndpointWithSecret,
  WebhookDeliveryDetail,
  WebhookDeliveryQuery,
  WebhookDeliverySchema,
} from './api.js';
import type { WebhookDeliveryStatus } from './schema.js';

/** Mounted under /v1/admin/notifications/webhooks (the kernel requires the admin role). */
export async function webhookAdminRoutes(app: App, ctx: ModuleContext<NotificationsConfig>) {
  const hooks = () => (ctx.services.notifications as NotificationService).webhooks;
  const tags = ['notifications', 'admin', 'webhooks'];
  // The admin group's scope, said out loud: a scoped key needs `admin` for these too.
  const config = { scope: 'admin' };

  app.get(
    '/webhooks/event-types',
    { config, schema: { tags, summary: 'Event types endpoints may subscribe to', response: { 200: Type.Object({ data: Type.Array(Type.String()) }) } } },
    async () => ({ data: [...hooks().offered()].sort() }),
  );

  app.post(
    '/webhooks',
    {
      config,
      schema: {
        tags,
        summary: 'Register a webhook endpoint',
        description:
          'Answers the endpoint with its signing secret (`whsec_…`), shown here and on rotation only. Event types must be offered ' +
          '(GET …/webhooks/event-types): 422 webhook_event_type_unknown. Private and loopback URLs are 422 webhook_url_private ' +
          'unless `webhooks.allowPrivateNetworks`.',
        body: EndpointCreateBody,
        response: { 201: EndpointWithSecret, 400: Problem, 422: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await hooks().endpoints.create(request.body)),
  );

  app.get(
    '/webhooks',
    { config, schema: { tags, summary: 'Webhook endpoints', querystring: EndpointQuery, response: { 200: Page(EndpointSchema), 400: Problem } } },
    async (request) => hooks().endpoints.list(request.query),
  );

  app.get(
    '/webhooks/:id',
    { config, schema: { tags, summary: 'One webhook endpoint', params: EndpointParams, response: { 200: EndpointSchema, 404: Problem } } },
    async (request) => hooks().endpoints.get(request.params.id),
  );

  app.patch(
    '/webhooks/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Edit a webhook endpoint',
        description: '`enabled: true` switches a disabled endpoint back on and clears its failure count.',
        params: EndpointParams,
        body: EndpointPatchBody,
        response: { 200: EndpointSchema, 400: Problem, 404: Problem, 422: Problem },
      },
    },
    async (request) => hooks().endpoints.update(request.params.id, request.body),
  );

  app.delete(
    '/webhooks/:id',
    { config, schema: { tags, summary: 'Delete a webhook endpoint and its delivery log', params: EndpointParams, response: { 204: Type.Null(), 404: Problem } } },
    async (request, reply) => {
      await hooks().endpoints.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/webhooks/:id/rotate-secret',
    {
      config,
      schema: {
        tags,
        summary: 'Give the endpoint a new signing secret',
        description: 'The old secret keeps signing too (a second v1 signature) for `webhooks.previousSecretHours` (24).',
        params: EndpointParams,
        response: { 200: EndpointWithSecret, 404: Problem },
      },
    },
    async (request) => hooks().endpoints.rotate(request.params.id),
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config,
      schema: { tags, summary: "The endpoint's deliveries, newest first", params: EndpointParams, querystring: WebhookDeliveryQuery, response: { 200: Page(WebhookDeliverySchema), 400: Problem, 404: Problem } },
    },
    async (request) => hooks().deliveries.list(request.params.id, { ...request.query, status: request.query.status as WebhookDeliveryStatus | undefined }),
  );

  app.get(
    '/webhooks/:id/deliveries/:deliveryId',
    {
      config,
      schema: { tags, summary: 'One delivery: the body sent and every attempt (status code, duration, start of the answer)', params: DeliveryParams, response: { 200: WebhookDeliveryDetail, 404: Problem } },
    },
    async (request) => hooks().deliveries.get(request.params.id, request.params.deliveryId),
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      config,
      schema: {
        tags,
        summary: 'Send a delivery again (same webhook-id and body)',
        description: '409 webhook_endpoint_disabled while the endpoint is off; 409 webhook_delivery_queued while it waits to be sent.',
        params: DeliveryParams,
        response: { 202: WebhookDeliverySchema, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => reply.code(202).send(await hooks().deliveries.redeliver(request.params.id, request.params.deliveryId)),
  );
}
