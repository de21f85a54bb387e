import { Type } from 'typebox';
import { defineModule } from 'neptuno';
import { messages } from './messages.js';
import { bookingAdminRoutes, bookingRoutes } from './routes.js';
import { migrations } from './schema.js';
import { BookingService } from './service.js';

// A user's module types its service and events through the package entry.
declare module 'neptuno' {
  interface Services {
    booking: BookingService;
  }
  interface DomainEvents {
    'booking.created': { bookingId: string; userId: string };
  }
}

export default defineModule({
  name: 'booking',
  dependsOn: ['auth'],
  config: Type.Object(
    {
      /** Bookings each new account may make. */
      quota: Type.Integer({ minimum: 0, default: 2 }),
      /** A hold not confirmed within this many minutes expires. */
      holdMinutes: Type.Integer({ minimum: 1, default: 15 }),
    },
    { additionalProperties: false },
  ),
  migrations,
  messages,
  services: (ctx) => ({ booking: new BookingService(ctx) }),
  routes: bookingRoutes,
  adminRoutes: bookingAdminRoutes,
  jobs: {
    confirm: async (payload: { id: string }, ctx) => ctx.services.booking.confirm(payload.id),
  },
  crons: [
    {
      name: 'expire-holds',
      schedule: '*/5 * * * *',
      run: async (ctx) => {
        const expired = await ctx.services.booking.expireHolds();
        if (expired) ctx.log.info({ expired }, 'expired booking holds');
      },
    },
  ],
  on: {
    // The shipped auth module's event: typed because `neptuno` brings its declarations along.
    'user.registered': (e, ctx) => ctx.services.booking.grantQuota(e.userId),
    'booking.created': (e, ctx) => {
      ctx.log.debug({ booking: e.bookingId }, 'booking created');
    },
  },
});
