import { defineModule } from '../../core/module.js';
import { seoAdminRoutes } from './admin-routes.js';
import { SeoConfigSchema } from './config.js';
import { messages } from './messages.js';
import { seoPublicRoutes } from './public-routes.js';
import { seoRootRoutes } from './root-routes.js';
import { migrations } from './schema.js';
import { SeoService } from './service.js';

export type { SitemapSource, SitemapUrl } from './sitemap.js';
export type { PublicPage } from './model.js';

declare module '../../core/module.js' {
  interface Services {
    /** Present when the seo module runs: use `ctx.services.seo?.contribute(…)` from a module that does not depend on it. */
    seo: SeoService;
  }
}

export default defineModule({
  name: 'seo',
  config: SeoConfigSchema,
  migrations,
  messages,
  services: (ctx) => ({ seo: new SeoService(ctx) }),
  adminRoutes: seoAdminRoutes,
  publicRoutes: seoPublicRoutes,
  rootRoutes: seoRootRoutes,
  start: async (ctx) => {
    const seo = ctx.services.seo;
    await seo.cache.start(ctx.pubsub, () => seo.pages.generation(), ctx.config.checkIntervalSeconds * 1000);
  },
  stop: async (ctx) => {
    await ctx.services.seo.cache.stop();
  },
});
