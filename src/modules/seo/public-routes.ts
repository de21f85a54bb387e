import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { notFound } from '../../core/http/problem.js';
import { Problem, PublicPageQuery, PublicPageSchema } from './api.js';
import type { SeoConfig } from './config.js';
import type { SeoService } from './service.js';

/** Mounted under /v1/public/seo: anyone, typically a front-end rendering a page on the server. */
export async function seoPublicRoutes(app: App, ctx: ModuleContext<SeoConfig>) {
  const seo = () => ctx.services.seo as SeoService;

  app.get(
    '/pages',
    {
      schema: {
        tags: ['seo'],
        summary: "A page's metadata for render time (SSR front-ends)",
        description:
          'By `path` (normalized like the admin API) and `locale`; without a locale, Accept-Language (es/en), then ' +
          'the default locale, then any. Every URL in the answer is absolute. Cacheable: Cache-Control public with ' +
          '`modules.seo.publicMaxAgeSeconds`, an ETag (If-None-Match answers 304) and Vary: Accept-Language.',
        querystring: PublicPageQuery,
        response: { 200: PublicPageSchema, 304: Type.Null({ description: 'Not modified (If-None-Match)' }), 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const { path, locale } = request.query;
      const preferred = locale ? [] : [ctx.i18n.negotiate(request.headers['accept-language'])];
      const page = await seo().lookup(path, locale, preferred);
      if (!page) throw notFound('seo_page_not_found');
      const etag = `W/"${createHash('sha256').update(JSON.stringify(page)).digest('base64url').slice(0, 27)}"`;
      reply.header('cache-control', `public, max-age=${ctx.config.publicMaxAgeSeconds}`);
      reply.header('vary', 'Accept-Language');
      reply.header('etag', etag);
      if (request.headers['if-none-match']?.split(',').some((t) => t.trim() === etag)) return reply.code(304).send(undefined as never);
      return page;
    },
  );
}
