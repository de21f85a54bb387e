import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { notFound } from '../../core/http/problem.js';
import { AdminPageSchema, PageCreateBody, PagePatchBody, Problem } from './api.js';
import type { SeoConfig } from './config.js';
import type { PageInput } from './pages.js';
import type { SeoService } from './service.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false });

/** Mounted under /v1/admin/seo; the kernel requires the admin role on every route. */
export async function seoAdminRoutes(app: App, ctx: ModuleContext<SeoConfig>) {
  const pages = () => (ctx.services.seo as SeoService).pages;
  const tags = ['seo', 'admin'];

  app.post(
    '/pages',
    {
      schema: {
        tags,
        summary: "Create a page's metadata (one per path and locale)",
        description:
          'The path is normalized (leading slash, no trailing slash, percent-encoded); canonicalUrl, image and ' +
          'alternates take a path on the site or an absolute URL. 409 seo_page_exists when the path already has ' +
          'metadata in that locale.',
        body: PageCreateBody,
        response: { 201: AdminPageSchema, 400: Problem, 409: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await pages().create(request.body as PageInput & { path: string })),
  );

  app.get(
    '/pages',
    {
      schema: {
        tags,
        summary: 'List page metadata by path',
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            locale: Type.Optional(Type.String({ minLength: 1, maxLength: 35 })),
            pathPrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
            noindex: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(AdminPageSchema), 400: Problem },
      },
    },
    async (request) => pages().list(request.query),
  );

  app.get(
    '/pages/:id',
    { schema: { tags, summary: "A page's metadata", params: IdParams, response: { 200: AdminPageSchema, 404: Problem } } },
    async (request) => {
      const page = await pages().get(request.params.id);
      if (!page) throw notFound('seo_page_not_found');
      return page;
    },
  );

  app.patch(
    '/pages/:id',
    {
      schema: {
        tags,
        summary: "Change a page's metadata (null clears a field)",
        params: IdParams,
        body: PagePatchBody,
        response: { 200: AdminPageSchema, 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => pages().update(request.params.id, request.body as PageInput),
  );

  app.delete(
    '/pages/:id',
    { schema: { tags, summary: "Delete a page's metadata", params: IdParams, response: { 204: Type.Null(), 404: Problem } } },
    async (request, reply) => {
      await pages().remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
}
