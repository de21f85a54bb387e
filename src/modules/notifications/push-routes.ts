import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { forbidden, notFound, tooManyRequests, unauthorized } from '../../core/http/problem.js';
import type { App, ModuleContext } from '../../core/module.js';
import { IdParams, Nullable, Problem } from './api.js';
import type { NotificationsConfig } from './config.js';
import type { NotificationService } from './service.js';
import type { PushOwner } from './webpush-subscriptions.js';

const SubscriptionView = Type.Object({ id: Type.String(), endpoint: Type.String(), userAgent: Nullable<string>(Type.String()), createdAt: Type.String(), updatedAt: Type.String() });

/** `PushSubscription.toJSON()` as the browser gives it, plus an optional label. */
const SubscriptionBody = Type.Object(
  {
    endpoint: Type.String({ minLength: 1, maxLength: 2048 }),
    keys: Type.Object({ p256dh: Type.String({ minLength: 1, maxLength: 200 }), auth: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
    expirationTime: Type.Optional(Nullable<number>(Type.Number({ minimum: 0, maximum: 1e15 }))),
    userAgent: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);

/** Registrations per caller and per address per hour: each one is a row and, later, a push. */
const PER_OWNER = { limit: 30, windowMs: 3_600_000 };
const PER_IP = { limit: 300, windowMs: 3_600_000 };

/** The caller as the owner of push targets: a user or a guest (the admin token has no devices). */
export async function pushOwner(request: FastifyRequest): Promise<PushOwner> {
  const actor = await request.actor();
  if (!actor) throw unauthorized('authentication_required');
  if (actor.type === 'service') throw forbidden('person_required');
  return { type: actor.type, id: actor.id };
}

/** Counts one registration against the caller's and the address's hourly budgets (429 when spent). */
export async function registrationBudget(ctx: ModuleContext, request: FastifyRequest, owner: PushOwner): Promise<void> {
  for (const [key, rule] of [
    [`notif:push-register:${owner.type}:${owner.id}`, PER_OWNER],
    [`notif:push-register:ip:${request.ip}`, PER_IP],
  ] as const) {
    const hit = await ctx.rateLimiter.hit(key, rule);
    if (!hit.allowed) throw tooManyRequests(hit.retryAfterMs);
  }
}

/** Mounted under /v1/notifications: the caller's browser push subscriptions (users and guests). */
export async function webPushRoutes(app: App, ctx: ModuleContext<NotificationsConfig>) {
  const tags = ['notifications', 'push'];
  const webpush = () => {
    const wp = (ctx.services.notifications as NotificationService).push.webpush;
    if (!wp) throw notFound('push_channel_disabled', { params: { channel: 'webpush' } });
    return wp;
  };

  app.post(
    '/webpush/subscriptions',
    {
      config: { scope: 'notifications:write' },
      schema: {
        tags,
        summary: "Register this browser's push subscription for the caller (user or guest)",
        description:
          'Send `PushSubscription.toJSON()` after `pushManager.subscribe({ userVisibleOnly: true, applicationServerKey })` with the key from GET /v1/public/notifications/webpush-key. The same endpoint again updates the row (and moves it to the caller after a sign-in); 201 when new, 200 otherwise.',
        body: SubscriptionBody,
        response: { 200: SubscriptionView, 201: SubscriptionView, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      const owner = await pushOwner(request);
      const wp = webpush();
      await registrationBudget(ctx, request, owner);
      const ua = request.body.userAgent ?? request.headers['user-agent'] ?? null;
      const { subscription, created } = await wp.subscriptions.subscribe(owner, { endpoint: request.body.endpoint, keys: request.body.keys, userAgent: ua });
      return reply.code(created ? 201 : 200).send(subscription);
    },
  );

  app.get(
    '/webpush/subscriptions',
    {
      config: { scope: 'notifications:read' },
      schema: { tags, summary: "The caller's browser push subscriptions, newest first", response: { 200: Type.Object({ data: Type.Array(SubscriptionView) }), 401: Problem, 403: Problem, 404: Problem } },
    },
    async (request) => {
      const owner = await pushOwner(request);
      return { data: await webpush().subscriptions.list(owner) };
    },
  );

  app.delete(
    '/webpush/subscriptions',
    {
      config: { scope: 'notifications:write' },
      schema: {
        tags,
        summary: 'Remove the subscription with this endpoint (after `subscription.unsubscribe()` in the browser)',
        body: Type.Object({ endpoint: Type.String({ minLength: 1, maxLength: 2048 }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const owner = await pushOwner(request);
      if (!(await webpush().subscriptions.unsubscribe(owner, request.body.endpoint))) throw notFound('push_subscription_not_found');
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/webpush/subscriptions/:id',
    {
      config: { scope: 'notifications:write' },
      schema: { tags, summary: 'Remove one of the caller\'s subscriptions by id', params: IdParams, response: { 204: Type.Null(), 401: Problem, 403: Problem, 404: Problem } },
    },
    async (request, reply) => {
      const owner = await pushOwner(request);
      if (!(await webpush().subscriptions.removeOwned(owner, request.params.id))) throw notFound('push_subscription_not_found');
      return reply.code(204).send(null);
    },
  );
}

/** Mounted under /v1/public/notifications: the VAPID public key the browser subscribes with. */
export async function webPushPublicRoutes(app: App, ctx: ModuleContext<NotificationsConfig>) {
  app.get(
    '/webpush-key',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['notifications', 'push'],
        summary: "The app's VAPID public key (`applicationServerKey` for pushManager.subscribe)",
        response: { 200: Type.Object({ publicKey: Type.String() }), 404: Problem },
      },
    },
    async (_request, reply) => {
      const wp = (ctx.services.notifications as NotificationService).push.webpush;
      if (!wp) throw notFound('push_channel_disabled', { params: { channel: 'webpush' } });
      // The key never changes for a database (webpush-keys.ts): caches may keep it a while.
      reply.header('cache-control', 'public, max-age=3600');
      return { publicKey: (await wp.keys.keys()).publicKey };
    },
  );
}
