import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { notFound } from '../../core/http/problem.js';
import { Problem, PublicDocumentSchema, Slug } from './api.js';
import type { LegalConfig } from './config.js';
import { pick, type Lang } from './model.js';
import type { LegalService } from './service.js';

/** Mounted under /v1/public/legal: anyone (the terms page, the sign-up form). */
export async function legalPublicRoutes(app: App, ctx: ModuleContext<LegalConfig>) {
  const legal = () => ctx.services.legal as LegalService;

  app.get(
    '/:slug',
    {
      schema: {
        tags: ['legal'],
        summary: 'The version of a document in force now',
        description: 'Texts in the language of Accept-Language (es/en), or `?lang=es|en|both`.',
        params: Type.Object({ slug: Slug }, { additionalProperties: false }),
        querystring: Type.Object({ lang: Type.Optional(Type.Union([Type.Literal('es'), Type.Literal('en'), Type.Literal('both')])) }, { additionalProperties: false }),
        response: { 200: PublicDocumentSchema, 400: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const doc = await legal().current(request.params.slug);
      if (!doc) throw notFound('legal_document_not_found');
      const lang: Lang = request.query.lang ?? ctx.i18n.negotiate(request.headers['accept-language']);
      reply.header('cache-control', `public, max-age=${ctx.config.publicMaxAgeSeconds}`);
      if (!request.query.lang) reply.header('vary', 'Accept-Language');
      return {
        slug: doc.head.slug,
        version: doc.head.version,
        lang,
        title: pick(doc.head.title, lang),
        content: doc.content ? pick(doc.content, lang) : null,
        url: doc.head.url,
        required: doc.required,
        effectiveAt: doc.head.effectiveAt,
      };
    },
  );
}
