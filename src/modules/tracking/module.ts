import { defineModule } from '../../core/module.js';
import { trackingAdminRoutes } from './admin-routes.js';
import { TrackingConfigSchema } from './config.js';
import { openGeoip } from './geoip.js';
import { messages } from './messages.js';
import { trackingRoutes } from './routes.js';
import { migrations } from './schema.js';
import { TrackingService } from './service.js';
import { serverSideTracking } from './server-side.js';
import { scriptRoutes } from './script-routes.js';

declare module '../../core/module.js' {
  interface Services {
    tracking: TrackingService;
  }
}

declare module '../../core/events.js' {
  interface DomainEvents {
    /**
     * A tracking event of a known guest or user matched `modules.tracking.gamification`: the
     * module awards that gamification event type (caps apply), keyed by the tracking event's id.
     */
    'tracking.goal': { eventId: string; actorType: 'user' | 'guest'; actorId: string; gamificationType: string };
    // Declared by the identity modules too; identical shapes merge, and this module runs without them.
    'guest.merged': { guestId: string; userId: string };
    'guest.expired': { guestIds: string[] };
    'user.deleted': { userId: string };
  }
}

/** Cookieless first-party analytics (docs/tracking.md). */
export default defineModule({
  name: 'tracking',
  config: TrackingConfigSchema,
  migrations,
  messages,
  services: (ctx) => ({ tracking: new TrackingService(ctx) }),
  routes: trackingRoutes,
  publicRoutes: scriptRoutes,
  adminRoutes: trackingAdminRoutes,
  async start(ctx) {
    const tracking = ctx.services.tracking;
    tracking.geo = await openGeoip(ctx.config.geoip.database, ctx.log);
    tracking.unhook = serverSideTracking(ctx);
    if (ctx.config.live.enabled) tracking.live.start();
  },
  async stop(ctx) {
    const tracking = ctx.services.tracking;
    tracking.unhook?.();
    await tracking.live.stop();
    // Events already acknowledged are committed; those handed over are written before the database closes.
    await tracking.writer.stop();
  },
  crons: [
    {
      // Raw events past retention, yesterday's salt (visitor ids of past days can no longer be recomputed).
      name: 'prune',
      schedule: '7 0 * * *',
      run: (ctx) => ctx.services.tracking.prune(),
    },
  ],
  // The privacy export: the events linked to the user (the newest 1000; visitor ids are daily hashes).
  exportUser: (userId, ctx) => ctx.services.tracking.eventsOf(userId, 1000),
  on: {
    'tracking.goal': async (e, ctx) => {
      const gamification = ctx.services.gamification;
      if (!gamification) return void ctx.log.warn({ type: e.gamificationType }, 'tracking: a gamification goal without the gamification module: ignored');
      if (!gamification.defs.eventTypes.has(e.gamificationType)) {
        return void ctx.log.warn({ type: e.gamificationType }, 'tracking: modules.tracking.gamification names an unknown gamification event type: ignored');
      }
      // The tracking event's id makes a redelivery award once.
      await gamification.award({ type: e.actorType, id: e.actorId }, e.gamificationType, { id: `tracking:${e.eventId}` });
    },
    'guest.merged': async ({ guestId, userId }, ctx) => {
      await ctx.services.tracking.mergeGuest(guestId, userId);
    },
    'guest.expired': async ({ guestIds }, ctx) => {
      await ctx.services.tracking.forgetGuests(guestIds);
    },
    'user.deleted': async ({ userId }, ctx) => {
      await ctx.services.tracking.forgetUser(userId);
    },
  },
});
