import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App, ModuleContext } from '../../core/module.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { forbidden } from '../../core/http/problem.js';
import { defaultScope } from '../../core/http/scopes.js';
import type { ApiKeysConfig } from './config.js';
import { DateTime } from '../../core/http/datetime.js';
import type { ApiKeyService } from './service.js';

const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);

const NullableDate = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const ApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the secret, to recognise the key' }),
  scopes: Type.Union([Type.Array(Type.String()), Type.Null()], { description: "null: the owner's role, unrestricted" }),
  rateLimitPerMinute: Type.Integer(),
  expiresAt: NullableDate,
  lastUsedAt: NullableDate,
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: NullableDate,
});

const CreatedApiKey = Type.Object({
  ...ApiKeySchema.properties,
  secret: Type.String({ description: 'Shown once: store it now, it cannot be read again' }),
});

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** Mounted at /v1/api-keys. Signed-in users manage their own keys, never through a key. */
export async function apiKeyRoutes(app: App, ctx: ModuleContext<ApiKeysConfig>) {
  const keys = () => ctx.services['api-keys'] as ApiKeyService;
  // No scope grants key management (and API keys are refused below whatever their scopes).
  app.addHook('onRoute', defaultScope('unscoped'));

  app.addHook('onRequest', async (request, reply) => {
    await ctx.access.requireUser(request, reply);
    // A leaked key must not be able to mint more keys or revoke the owner's others.
    if ((await request.actor())?.via === 'api_key') throw forbidden('api_key_cannot_manage_keys');
  });
  const ownerOnly = async (request: FastifyRequest) => (await request.actor())!.id;

  app.post(
    '',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key (the secret is returned once)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            // Null first: with Ajv's type coercion, [string, null] would turn null into "".
            scopes: Type.Optional(Type.Union([Type.Null(), Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 })])),
            expiresAt: Type.Optional(Type.Union([Type.Null(), DateTime()])),
            rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: CreatedApiKey, 400: Problem, 401: Problem, 403: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const userId = await ownerOnly(request);
      const created = await keys().create(userId, request.body);
      return reply.code(201).header('location', `/v1/api-keys/${created.id}`).send(created);
    },
  );

  app.get(
    '',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'List your API keys (never their secrets)',
        querystring: Type.Object(
          { ...PageQuery.properties, includeRevoked: Type.Optional(Type.Boolean({ default: false })) },
          { additionalProperties: false },
        ),
        response: { 200: Page(ApiKeySchema), 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => keys().list(await ownerOnly(request), request.query),
  );

  app.get(
    '/:id',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'One of your API keys',
        params: IdParams,
        response: { 200: ApiKeySchema, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => keys().get(await ownerOnly(request), request.params.id),
  );

  app.delete(
    '/:id',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key (effective at once)',
        params: IdParams,
        response: { 204: Type.Null(), 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      await keys().revoke(await ownerOnly(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
