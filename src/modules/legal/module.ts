import { defineModule } from '../../core/module.js';
import { legalAdminRoutes } from './admin-routes.js';
import { LegalConfigSchema } from './config.js';
import { consentGuard } from './guard.js';
import { messages } from './messages.js';
import { legalPublicRoutes } from './public-routes.js';
import { legalRoutes } from './routes.js';
import { migrations } from './schema.js';
import { LegalService } from './service.js';

declare module '../../core/module.js' {
  interface Services {
    legal: LegalService;
  }
}

declare module '../../core/events.js' {
  interface DomainEvents {
    // Declared by the guests and users modules too; identical shapes merge.
    'guest.merged': { guestId: string; userId: string };
    'guest.expired': { guestIds: string[] };
    'user.deleted': { userId: string };
  }
}

export default defineModule({
  name: 'legal',
  config: LegalConfigSchema,
  migrations,
  messages,
  services: (ctx) => ({ legal: new LegalService(ctx) }),
  routes: legalRoutes,
  publicRoutes: legalPublicRoutes,
  adminRoutes: legalAdminRoutes,
  start: async (ctx) => {
    const legal = ctx.services.legal;
    await legal.cache.start(ctx.pubsub, () => legal.documents.generation(), ctx.config.checkIntervalSeconds * 1000);
    ctx.apiCalls.use(consentGuard(ctx, () => ctx.services.legal));
  },
  stop: async (ctx) => {
    await ctx.services.legal.cache.stop();
  },
  on: {
    'guest.merged': async ({ guestId, userId }, ctx) => {
      await ctx.services.legal.consents.mergeGuest(guestId, userId);
    },
    'guest.expired': async ({ guestIds }, ctx) => {
      await ctx.services.legal.consents.forgetGuests(guestIds);
    },
    'user.deleted': async ({ userId }, ctx) => {
      await ctx.services.legal.consents.forgetUser(userId);
    },
  },
  exportUser: async (userId, ctx) => ({ consents: await ctx.services.legal.consents.history({ type: 'user', id: userId }) }),
});
