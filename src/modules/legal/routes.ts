import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { forbidden } from '../../core/http/problem.js';
import type { FastifyRequest } from 'fastify';
import { ConsentSchema, PendingSchema, Problem, Slug, Version } from './api.js';
import type { LegalConfig } from './config.js';
import type { Person } from './consents.js';
import { personOf, type LegalService } from './service.js';

/** Mounted under /v1/legal: signed-in users and guests. Never behind the consent guard. */
export async function legalRoutes(app: App, ctx: ModuleContext<LegalConfig>) {
  const legal = () => ctx.services.legal as LegalService;
  const person = async (request: FastifyRequest): Promise<Person> => {
    const p = personOf(await request.actor());
    if (!p) throw forbidden('legal_person_required');
    return p;
  };

  app.get(
    '/pending',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'legal:read' },
      schema: {
        tags: ['legal'],
        summary: 'What the caller (user or guest) must accept now',
        description:
          'Required documents not accepted in their latest required version (or a later one) come first (`required: true`: ' +
          'guarded routes answer 428 until they are accepted), then optional documents whose current version the caller has not accepted.',
        response: { 200: Type.Object({ data: Type.Array(PendingSchema) }), 401: Problem, 403: Problem },
      },
    },
    async (request) => ({ data: await legal().pending(await person(request)) }),
  );

  app.post(
    '/accept',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'legal:accept' },
      schema: {
        tags: ['legal'],
        summary: 'Accept the current version of a document',
        description:
          'Records the version, time, IP and user agent. Idempotent: accepting the same version again answers 200 with the ' +
          'first record (201 the first time). A version that is not the current one: 409 legal_version_not_current with ' +
          '`currentVersion`; an unknown slug: 404 legal_document_not_found.',
        body: Type.Object({ slug: Slug, version: Version }, { additionalProperties: false }),
        response: { 200: ConsentSchema, 201: ConsentSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const who = await person(request);
      const ua = request.headers['user-agent'];
      const { consent, created } = await legal().consents.accept(who, { ...request.body, ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua : null });
      return reply.code(created ? 201 : 200).send(consent);
    },
  );

  app.get(
    '/consents',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'legal:read' },
      schema: {
        tags: ['legal'],
        summary: "The caller's acceptances, oldest first",
        response: { 200: Type.Object({ data: Type.Array(ConsentSchema) }), 401: Problem, 403: Problem },
      },
    },
    async (request) => ({ data: await legal().consents.history(await person(request)) }),
  );
}
