import { defineModule } from '../../core/module.js';
import { couponAdminRoutes } from './admin-routes.js';
import { CouponsConfigSchema } from './config.js';
import { messages } from './messages.js';
import { couponRoutes } from './routes.js';
import { migrations, type ActorType } from './schema.js';
import type { Redemption } from './model.js';

/** The redemption as answered to the caller, keyed by redemptionId (its time stays in the row). */
export type RedeemedEvent = Omit<Redemption, 'id' | 'redeemedAt'> & { redemptionId: string };
import { CouponService } from './service.js';

declare module '../../core/module.js' {
  interface Services {
    coupons: CouponService;
  }
}

declare module '../../core/events.js' {
  interface DomainEvents {
    /**
     * A coupon was redeemed (emitted in the redemption's transaction, delivered after commit at
     * least once). A wallet grants `value` credits for type `credits`; handlers must be
     * idempotent on redemptionId.
     */
    'coupon.redeemed': RedeemedEvent;
    /** A reward coupon was issued by grantReward (notifications may tell the player its code). */
    'coupon.granted': { grantId: string; couponId: string; code: string; source: string; actorType: ActorType; actorId: string };
    // Declared by the guests and users modules too; identical shapes merge, and this module
    // compiles and runs without them (the handlers simply never fire).
    'guest.merged': { guestId: string; userId: string };
    'guest.expired': { guestIds: string[] };
    'user.deleted': { userId: string };
  }
}

export default defineModule({
  name: 'coupons',
  config: CouponsConfigSchema,
  migrations,
  messages,
  services: (ctx) => ({ coupons: new CouponService(ctx) }),
  routes: couponRoutes,
  adminRoutes: couponAdminRoutes,
  on: {
    'guest.merged': async ({ guestId, userId }, ctx) => {
      await ctx.services.coupons.lifecycle.mergeGuest(guestId, userId);
    },
    'guest.expired': async ({ guestIds }, ctx) => {
      await ctx.services.coupons.lifecycle.forget('guest', guestIds);
    },
    'user.deleted': async ({ userId }, ctx) => {
      await ctx.services.coupons.lifecycle.forget('user', [userId]);
    },
  },
  exportUser: (userId, ctx) => ctx.services.coupons.lifecycle.exportUser(userId),
});
