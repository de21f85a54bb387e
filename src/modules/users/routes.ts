import { Type, type TSchema } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { forbidden } from '../../core/http/problem.js';
import type { UsersConfig } from './config.js';
import type { ProfileService } from './service.js';
import { customFieldSchema, NAME_MAX, URL_MAX } from './validate.js';

const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);
// Null first: with Ajv's type coercion (the kernel's coerceTypes), anyOf [string, null] would
// validate null against string first and turn it into "".
const Nullable = <T extends TSchema>(t: T) => Type.Union([Type.Null(), t]);

export const WhoAmI = Type.Object({
  kind: Type.Union([Type.Literal('anonymous'), Type.Literal('guest'), Type.Literal('user'), Type.Literal('service')]),
  id: Type.Optional(Type.String()),
  role: Type.Optional(Nullable(Type.String())),
  tenantId: Type.Optional(Nullable(Type.String())),
  displayName: Type.Optional(Nullable(Type.String())),
  via: Type.Optional(Type.String({ description: 'How the caller authenticated: session, bearer, api_key, guest…' })),
});

/**
 * Mounted with prefix /v1: /profile, /profile/export and /public/whoami. (publicRoutes would
 * mount whoami at /v1/public/users/whoami.)
 */
export async function userRoutes(app: App, ctx: ModuleContext<UsersConfig>) {
  const profiles = () => ctx.services.users as ProfileService;
  const fields = ctx.config.customFields;
  const customIn = Type.Object(
    Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, Type.Optional(Nullable(customFieldSchema(f)))])),
    { additionalProperties: false },
  );
  const customOut = Type.Object(Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, Nullable(customFieldSchema(f))])));
  const ProfileSchema = Type.Object({
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    avatarUrl: Nullable(Type.String()),
    emailVerified: Type.Boolean(),
    role: Type.String(),
    locale: Nullable(Type.String()),
    timezone: Nullable(Type.String()),
    custom: customOut,
    missingRequired: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
  });
  const signedIn = { onRequest: ctx.access.requireUser };

  app.get(
    '/profile',
    { ...signedIn, config: { scope: 'profile:read' }, schema: { tags: ['profile'], summary: 'Your profile', response: { 200: ProfileSchema, 401: Problem, 403: Problem } } },
    async (request) => profiles().get((await request.actor())!.id),
  );

  app.patch(
    '/profile',
    {
      ...signedIn,
      config: { scope: 'profile:write' },
      schema: {
        tags: ['profile'],
        summary: 'Update your profile (only the fields given; null clears)',
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: NAME_MAX * 2 })),
            avatarUrl: Type.Optional(Nullable(Type.String({ maxLength: URL_MAX }))),
            locale: Type.Optional(Nullable(Type.String({ maxLength: 16 }))),
            timezone: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
            custom: Type.Optional(customIn),
          },
          { additionalProperties: false },
        ),
        response: { 200: ProfileSchema, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => profiles().update((await request.actor())!.id, request.body),
  );

  app.get(
    '/profile/export',
    {
      ...signedIn,
      config: { scope: 'profile:export' },
      schema: {
        tags: ['profile'],
        summary: 'Everything Neptuno holds about you, from every enabled module',
        response: {
          200: Type.Object({
            exportedAt: Type.String({ format: 'date-time' }),
            userId: Type.String(),
            modules: Type.Record(Type.String(), Type.Unknown()),
          }),
          401: Problem,
          403: Problem,
        },
      },
    },
    async (request, reply) => {
      const doc = await profiles().export((await request.actor())!.id);
      reply.header('content-disposition', `attachment; filename="neptuno-export-${doc.userId}.json"`);
      reply.header('cache-control', 'no-store');
      return doc;
    },
  );

  app.delete(
    '/profile',
    {
      ...signedIn,
      // Never through a scoped key; the handler also refuses every API key.
      config: { scope: 'unscoped' },
      schema: {
        tags: ['profile'],
        summary: 'Delete your account: anonymized, signed out everywhere, every module erases your data',
        response: { 204: Type.Null(), 401: Problem, 403: Problem },
      },
    },
    async (request, reply) => {
      const actor = (await request.actor())!;
      // Only the person at the keyboard: a leaked API key must not be able to erase an account.
      if (actor.via === 'api_key') throw forbidden('profile_delete_requires_session');
      await profiles().deleteAccount(actor.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/public/whoami',
    { config: { scope: 'public' }, schema: { tags: ['profile'], summary: 'Who the caller is: nobody, a guest or a user', response: { 200: WhoAmI, 401: Problem, 429: Problem } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const actor = await request.actor();
      if (!actor) return { kind: 'anonymous' as const };
      const base = { id: actor.id, role: actor.role, tenantId: actor.tenantId, via: actor.via };
      if (actor.type === 'guest') {
        // The guests module may be disabled; then a guest actor cannot exist anyway.
        const guest = await (ctx.services as Partial<typeof ctx.services>).guests?.get(actor.id);
        return { kind: 'guest' as const, ...base, displayName: guest?.displayName ?? null };
      }
      if (actor.type === 'service') return { kind: 'service' as const, ...base, displayName: null };
      const user = await ctx.services.auth.getUser(actor.id);
      return { kind: 'user' as const, ...base, displayName: user?.name ?? null };
    },
  );
}
