import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { notFound } from '../../core/http/problem.js';
import { AdminDocumentSchema, HeadSchema, Problem, PublishBody, Slug, StatsSchema } from './api.js';
import type { LegalConfig } from './config.js';
import type { LegalService } from './service.js';

/** Mounted under /v1/admin/legal; the kernel requires the admin role on every route. */
export async function legalAdminRoutes(app: App, ctx: ModuleContext<LegalConfig>) {
  const legal = () => ctx.services.legal as LegalService;
  const tags = ['legal', 'admin'];
  const currentIds = async () => (await legal().cache.currentVersions()).ids;

  app.post(
    '/documents',
    {
      schema: {
        tags,
        summary: 'Publish a version of a document',
        description:
          'Versions are append-only: a correction is a new version. `content` ({ es, en }) or `url`, not both. ' +
          '`required: true` makes every earlier acceptance of the slug stale: guarded routes answer 428 until the ' +
          'new version is accepted. `effectiveAt` (default now) schedules it. 409 legal_version_exists when the ' +
          'slug already has that version.',
        body: PublishBody,
        response: { 201: HeadSchema, 400: Problem, 409: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await legal().publish(request.body, await request.actor())),
  );

  app.get(
    '/documents',
    {
      schema: {
        tags,
        summary: 'Every published version, newest first',
        querystring: Type.Object({ ...PageQuery.properties, slug: Type.Optional(Slug) }, { additionalProperties: false }),
        response: { 200: Page(AdminDocumentSchema), 400: Problem },
      },
    },
    async (request) => legal().documents.list(request.query, await currentIds()),
  );

  app.get(
    '/documents/:id',
    {
      schema: {
        tags,
        summary: 'One version, with its texts',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false }),
        response: { 200: AdminDocumentSchema, 404: Problem },
      },
    },
    async (request) => {
      const doc = await legal().documents.get(request.params.id, await currentIds());
      if (!doc) throw notFound('legal_document_not_found');
      return doc;
    },
  );

  app.get(
    '/stats',
    {
      schema: {
        tags,
        summary: 'Acceptances per version (users and guests)',
        querystring: Type.Object({ slug: Type.Optional(Slug) }, { additionalProperties: false }),
        response: { 200: StatsSchema, 400: Problem },
      },
    },
    async (request) => ({ data: await legal().stats(request.query.slug) }),
  );
}
