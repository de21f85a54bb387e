import { defineModule } from '../../core/module.js';
import { GuestsConfigSchema } from './config.js';
import { messages } from './messages.js';
import { guestAdminRoutes, guestRoutes } from './routes.js';
import { toIso, toIsoOrNull, typedDb } from '../../core/db/dialect.js';
import { migrations, type GuestsTables } from './schema.js';
import { GuestService } from './service.js';

declare module '../../core/module.js' {
  interface Services {
    guests: GuestService;
  }
}

declare module '../../core/events.js' {
  interface DomainEvents {
    /**
     * Emitted once per guest, in the merge's transaction; delivered after commit at least once.
     * Handlers move the guest's rows to the user and must be idempotent keyed on guestId.
     */
    'guest.merged': { guestId: string; userId: string };
    /** Idle guests that were never merged were deleted; drop what they left behind. */
    'guest.expired': { guestIds: string[] };
  }
}

export default defineModule({
  name: 'guests',
  config: GuestsConfigSchema,
  migrations,
  messages,
  services: (ctx) => ({ guests: new GuestService(ctx) }),
  // Routes use prefix /v1 so the public endpoint is exactly POST /v1/public/guest.
  prefix: '/v1',
  routes: guestRoutes,
  adminRoutes: guestAdminRoutes,
  crons: [
    {
      name: 'remove-idle',
      schedule: '23 * * * *',
      run: async (ctx) => {
        const removed = await ctx.services.guests.removeIdle();
        if (removed) ctx.log.info({ removed }, 'removed idle guests');
      },
    },
  ],
  start: async (ctx) => {
    const guests = ctx.services.guests;
    await guests.live.start(ctx.pubsub);
    ctx.access.addResolver((request) => guests.resolveActor(request.headers.cookie, request.ip ?? null), 10);
    guests.activity.start(ctx.config.activityFlushSeconds * 1000);
  },
  stop: async (ctx) => {
    await ctx.services.guests.activity.stop();
    await ctx.services.guests.live.stop();
  },
  exportUser: async (userId, ctx) => {
    // Guest identities that became this user: when and under which names they played.
    const rows = await typedDb<GuestsTables>(ctx)
      .selectFrom('guests')
      .select(['id', 'display_name', 'created_at', 'merged_at'])
      .where('merged_into_user_id', '=', userId)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      displayName: r.display_name,
      createdAt: toIso(r.created_at),
      mergedAt: toIsoOrNull(r.merged_at),
    }));
  },
  on: {
    // Merged guest rows name the user; a deleted user's guests go with them.
    'user.deleted': async ({ userId }, ctx) => {
      await typedDb<GuestsTables>(ctx).deleteFrom('guests').where('merged_into_user_id', '=', userId).execute();
    },
  },
});
