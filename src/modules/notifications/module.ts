import { typedDb } from '../../core/db/dialect.js';
import { defineModule } from '../../core/module.js';
import { notificationAdminRoutes } from './admin-routes.js';
import { emailTemplates } from './channels/email.js';
import { NotificationsConfigSchema } from './config.js';
import { DELIVER_JOB } from './deliveries.js';
import { FLUSH_DIGEST_JOB } from './digest.js';
import { messages } from './messages.js';
import { messagingMessages } from './messaging-messages.js';
import { twilioStatusRoutes } from './channels/twilio-status.js';
import { newsPublicRoutes, notificationPublicRoutes } from './public-routes.js';
import { notificationRoutes } from './routes.js';
import { migrations, type NotificationTables } from './schema.js';
import { FANOUT_JOB } from './send.js';
import { NotificationService } from './service.js';
import { wireEvents } from './wiring.js';
import { WEBHOOK_JOB } from './webhooks/deliveries.js';
import { webhookMigrations, type WebhookTables } from './webhooks/schema.js';
import { webhookAdminRoutes } from './webhooks/routes.js';

declare module '../../core/module.js' {
  interface Services {
    notifications: NotificationService;
  }
  interface Jobs {
    [FANOUT_JOB]: { id: string };
    [DELIVER_JOB]: { deliveryId: string; attempts: number };
    [FLUSH_DIGEST_JOB]: { id: string };
    [WEBHOOK_JOB]: { deliveryId: string; attempts: number };
  }
}

declare module '../../core/events.js' {
  interface DomainEvents {
    // Declared by the identity modules too; identical shapes merge, and this module runs without them.
    'guest.merged': { guestId: string; userId: string };
    'guest.expired': { guestIds: string[] };
    'user.deleted': { userId: string };
  }
}

export default defineModule({
  name: 'notifications',
  config: NotificationsConfigSchema,
  migrations: { ...migrations, ...webhookMigrations },
  messages: { es: { ...messages.es, ...messagingMessages.es }, en: { ...messages.en, ...messagingMessages.en } },
  mail: { templates: emailTemplates },
  services: (ctx) => {
    const service = new NotificationService(ctx);
    // Handlers are subscribed here rather than in `on:` because the wired events come from
    // neptuno.yaml: one outbox handler per event, whether wired, handled for the module's own
    // data below, or both.
    wireEvents(ctx, {
      'guest.merged': async (p) => {
        const { guestId, userId } = p as { guestId: string; userId: string };
        await service.inbox.merge(guestId, userId);
        await service.news.merge(guestId, userId);
        await service.push.merge(guestId, userId);
      },
      'guest.expired': async (p) => {
        const { guestIds } = p as { guestIds: string[] };
        for (const id of guestIds) await service.inbox.forget({ type: 'guest', id });
        await service.news.forget('guest', guestIds);
        for (const id of guestIds) await service.push.forget({ type: 'guest', id });
      },
      'user.deleted': async (p) => {
        const { userId } = p as { userId: string };
        await service.inbox.forget({ type: 'user', id: userId });
        await service.preferences.forget(userId);
        await service.news.forget('user', [userId]);
        await service.push.forget({ type: 'user', id: userId });
      },
    });
    return { notifications: service };
  },
  routes: notificationRoutes,
  publicRoutes: async (app, ctx) => {
    await notificationPublicRoutes(app, ctx);
    await twilioStatusRoutes(app, ctx);
  },
  rootRoutes: newsPublicRoutes,
  adminRoutes: async (app, ctx) => {
    await notificationAdminRoutes(app, ctx);
    await webhookAdminRoutes(app, ctx);
  },
  // Channels' own start-up (the VAPID key pair is created here, once per database).
  start: (ctx) => ctx.services.notifications.startChannels(),
  stop: (ctx) => ctx.services.notifications.stopChannels(),
  jobs: {
    fanout: (p, ctx) => ctx.services.notifications.fanOut.run(p.id),
    deliver: (p, ctx) => ctx.services.notifications.engine.run(p.deliveryId, p.attempts),
    'flush-digest': (p, ctx) => ctx.services.notifications.digests.flush(p.id),
    'webhook-deliver': (p, ctx) => ctx.services.notifications.webhooks.deliveries.run(p.deliveryId, p.attempts),
  },
  crons: [
    {
      // Old inbox items and delivery records go; dead letters too, once past the same age.
      name: 'prune',
      schedule: '43 3 * * *',
      run: async (ctx) => {
        const db = typedDb<NotificationTables>(ctx);
        const inboxCutoff = new Date(Date.now() - ctx.config.inboxKeepDays * 86_400_000).toISOString();
        const deliveryCutoff = new Date(Date.now() - ctx.config.deliveryKeepDays * 86_400_000).toISOString();
        await db.deleteFrom('notif_inbox').where('created_at', '<', inboxCutoff).execute();
        const old = db.selectFrom('notif_deliveries').select('id').where('updated_at', '<', deliveryCutoff).where('status', 'not in', ['queued', 'held_quiet_hours', 'failed']);
        await db.deleteFrom('notif_attempts').where('delivery_id', 'in', old).execute();
        await db.deleteFrom('notif_deliveries').where('updated_at', '<', deliveryCutoff).where('status', 'not in', ['queued', 'held_quiet_hours', 'failed']).execute();
        await db
          .deleteFrom('notif_notifications')
          .where('created_at', '<', deliveryCutoff)
          .where('fanned_out_at', 'is not', null)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('notif_deliveries').select('id').whereRef('notif_deliveries.notification_id', '=', 'notif_notifications.id'))))
          .execute();
        // Webhook deliveries that finished (succeeded or dead) go with the same age, their tries too.
        const whDb = typedDb<WebhookTables>(ctx);
        const oldHooks = whDb.selectFrom('notif_webhook_deliveries').select('id').where('updated_at', '<', deliveryCutoff).where('status', 'in', ['succeeded', 'dead']);
        await whDb.deleteFrom('notif_webhook_attempts').where('delivery_id', 'in', oldHooks).execute();
        await whDb.deleteFrom('notif_webhook_deliveries').where('updated_at', '<', deliveryCutoff).where('status', 'in', ['succeeded', 'dead']).execute();
        await ctx.services.notifications.push.receipts.prune(ctx.config.deliveryKeepDays);
      },
    },
  ],
  exportUser: async (userId, ctx) => {
    const svc = ctx.services.notifications;
    return { inbox: (await svc.inbox.list({ type: 'user', id: userId }, { limit: 100 })).data, preferences: await svc.preferences.list(userId) };
  },
});
