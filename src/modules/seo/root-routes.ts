import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { notFound } from '../../core/http/problem.js';
import { Problem } from './api.js';
import type { SeoConfig } from './config.js';
import type { SeoService } from './service.js';

const Xml = Type.String({ description: 'application/xml' });

/** /sitemap.xml, /sitemap-N.xml and /robots.txt: paths fixed by the protocols, so at the root. */
export async function seoRootRoutes(app: App, ctx: ModuleContext<SeoConfig>) {
  const seo = () => ctx.services.seo as SeoService;
  const cacheControl = `public, max-age=${ctx.config.sitemap.maxAgeSeconds}`;

  app.get(
    '/sitemap.xml',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['seo'],
        summary: 'The sitemap (sitemaps.org 0.9), or the sitemap index past 50,000 URLs or 50 MB',
        response: { 200: Xml, 404: Problem },
      },
    },
    async (_request, reply) => {
      if (!ctx.config.sitemap.enabled) throw notFound('seo_sitemap_not_found');
      const built = await seo().sitemap();
      return reply.type('application/xml; charset=utf-8').header('cache-control', cacheControl).send(built.index ?? built.parts[0]);
    },
  );

  app.get(
    '/sitemap-:part.xml',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['seo'],
        summary: 'One file of a split sitemap (listed by the index at /sitemap.xml)',
        params: Type.Object({ part: Type.String({ pattern: '^[1-9][0-9]{0,5}$' }) }, { additionalProperties: false }),
        response: { 200: Xml, 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      if (!ctx.config.sitemap.enabled) throw notFound('seo_sitemap_not_found');
      const built = await seo().sitemap();
      const n = Number(request.params.part);
      if (!built.index || n > built.parts.length) throw notFound('seo_sitemap_not_found');
      return reply.type('application/xml; charset=utf-8').header('cache-control', cacheControl).send(built.parts[n - 1]);
    },
  );

  app.get(
    '/robots.txt',
    { config: { scope: 'public' }, schema: { tags: ['seo'], summary: 'robots.txt from modules.seo.robots', response: { 200: Type.String(), 404: Problem } } },
    async (_request, reply) => {
      if (!ctx.config.robots.enabled) throw notFound('route_not_found');
      return reply.type('text/plain; charset=utf-8').header('cache-control', cacheControl).send(seo().robots());
    },
  );
}
