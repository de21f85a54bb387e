import { defineModule } from '../../core/module.js';
import { gamificationAdminRoutes } from './admin-routes.js';
import { GamificationConfigSchema } from './config.js';
import { messages } from './messages.js';
import { gamificationRoutes } from './routes.js';
import { typedDb } from '../../core/db/dialect.js';
import { migrations, type GamificationTables } from './schema.js';
import { GamificationService } from './service.js';

declare module '../../core/module.js' {
  interface Services {
    gamification: GamificationService;
  }
}

type ActorType = 'user' | 'guest';

declare module '../../core/events.js' {
  interface DomainEvents {
    /** Points were added to a player (emitted in the award's transaction). `reasons`: the event types awarded. */
    'points.awarded': { actorType: ActorType; actorId: string; points: number; total: number; reasons: string[] };
    'badge.awarded': { actorType: ActorType; actorId: string; badge: string };
    'level.up': { actorType: ActorType; actorId: string; level: string; previousLevel: string | null };
    'challenge.completed': { actorType: ActorType; actorId: string; challenge: string };
    /** A badge or challenge rewards the player with a coupon; this module asks the coupons module to issue it. */
    'gamification.coupon_earned': { actorType: ActorType; actorId: string; coupon: string; source: string };
    // Declared by the identity modules too; identical shapes merge, and this module runs without them.
    'user.registered': { userId: string; email: string };
    'user.deleted': { userId: string };
    'guest.merged': { guestId: string; userId: string };
    'guest.expired': { guestIds: string[] };
  }
}

export default defineModule({
  name: 'gamification',
  config: GamificationConfigSchema,
  migrations,
  messages,
  services: (ctx) => ({ gamification: new GamificationService(ctx) }),
  routes: gamificationRoutes,
  adminRoutes: gamificationAdminRoutes,
  // Public: anyone may watch a board the HTTP API shows them (GET /leaderboard), signed in or not.
  // Players' own awards use the kernel's user:{id} / guest:{id} channels.
  channels: [
    {
      pattern: 'gamification:leaderboard:{period}',
      authorize: (_actor, { period }, ctx) => (ctx.config.leaderboards.periods as readonly string[]).includes(period),
    },
  ],
  start: async (ctx) => {
    await ctx.services.gamification.definitions.start();
    await ctx.services.gamification.meCache.start(ctx.pubsub);
  },
  stop: async (ctx) => {
    await ctx.services.gamification.liveBoards.stop();
    await ctx.services.gamification.meCache.stop();
    await ctx.services.gamification.definitions.stop();
  },
  crons: [
    {
      // Daily counters only serve caps for today; keep a few days, drop the rest.
      name: 'prune-daily-counters',
      schedule: '17 3 * * *',
      run: async (ctx) => {
        const cutoff = new Date(Date.now() - ctx.config.keepDailyCountersDays * 86_400_000).toISOString().slice(0, 10);
        const db = typedDb<GamificationTables>(ctx);
        const res = await db.deleteFrom('gam_counts').where('period', 'like', 'd:%').where('period', '<', `d:${cutoff}`).executeTakeFirst();
        ctx.log.info({ removed: Number(res.numDeletedRows) }, 'pruned daily gamification counters');
      },
    },
  ],
  on: {
    'gamification.coupon_earned': async (e, ctx) => {
      await ctx.services.gamification.grantCoupon(e);
    },
    'user.registered': async ({ userId }, ctx) => {
      if (!ctx.services.gamification.defs.eventTypes.has('signup_completed')) return;
      // The id makes a re-delivered event award once.
      await ctx.services.gamification.award({ type: 'user', id: userId }, 'signup_completed', { id: 'signup' });
    },
    'guest.merged': async ({ guestId, userId }, ctx) => {
      await ctx.services.gamification.mergeGuest(guestId, userId);
    },
    'guest.expired': async ({ guestIds }, ctx) => {
      for (const id of guestIds) await ctx.services.gamification.eraseGuest(id);
    },
    'user.deleted': async ({ userId }, ctx) => {
      await ctx.services.gamification.eraseUser(userId);
    },
  },
  exportUser: (userId, ctx) => ctx.services.gamification.exportUser(userId),
});
