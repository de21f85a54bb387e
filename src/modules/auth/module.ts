import { defineModule } from '../../core/module.js';
import { AuthConfig } from './config.js';
import { BASE_PATH } from './better-auth.js';
import { authMessages } from './messages.js';
import { authRoutes } from './routes.js';
import { notFound } from '../../core/http/problem.js';
import { defaultScope } from '../../core/http/scopes.js';
import { authRuntime, closeAuthRuntime } from './runtime.js';
import { authMigrations } from './schema.js';
import { authMailTemplates } from './emails.js';
import { exportAuthData } from './privacy.js';
import type { AuthService } from './service.js';
import { createSessionResolver } from './session.js';
import { createAuthTokenService, createJwtResolver } from './jwt.js';
import { pluginMessages } from './plugins/messages.js';
import { pluginMigrations } from './plugins/migrations.js';
import { pluginRoutes } from './plugins/routes.js';
import { trustedOrigins } from './origins.js';

declare module '../../core/module.js' {
  interface Services {
    auth: AuthService;
  }
}

declare module '../../core/events.js' {
  interface DomainEvents {
    /** A new account exists (any sign-up method, or created by an admin). Fired after commit. */
    'user.registered': { userId: string; email: string };
    /** A new session was created for the user (any sign-in method). */
    'user.signed_in': { userId: string };
  }
}

const SIGN_IN_OR_UP = new RegExp(`^${BASE_PATH}/sign-(in|up)/`);

export default defineModule({
  name: 'auth',
  config: AuthConfig,
  migrations: { ...authMigrations, ...pluginMigrations },
  messages: {
    en: { ...authMessages.en, ...pluginMessages.en },
    es: { ...authMessages.es, ...pluginMessages.es },
  },
  prefix: BASE_PATH,
  mail: { templates: authMailTemplates },
  services: (ctx) => ({
    auth: authRuntime(ctx).service,
    ...(ctx.config.jwt.enabled ? { authTokens: createAuthTokenService(ctx, () => authRuntime(ctx)) } : {}),
  }),
  routes: async (app, ctx) => {
    // Account endpoints act with a session (better-auth's cookie or bearer token), never with an
    // API key: no scope grants them (core/http/scopes.ts).
    app.addHook('onRoute', defaultScope('unscoped'));
    // Any unsafe account request but a sign-in or sign-up may end a session or change what it
    // holds (sign-out, revocation, password, role, ban, active organization): cached session
    // actors are flushed on every replica before the answer leaves (session-cache.ts).
    app.addHook('onSend', async (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS' && !SIGN_IN_OR_UP.test(request.url)) {
        await authRuntime(ctx).sessions.flush();
      }
    });
    const serveOtherEndpoints = await authRoutes(app, ctx, authRuntime(ctx));
    await pluginRoutes(app, ctx, authRuntime(ctx));
    serveOtherEndpoints();
  },
  // JWT libraries look for keys at this fixed path (RFC 8615), outside the module's prefix.
  rootRoutes: async (app, ctx) => {
    app.get(
      '/.well-known/jwks.json',
      { config: { scope: 'public' }, schema: { tags: ['auth: tokens'], summary: 'JSON Web Key Set of the service JWTs (GET /v1/auth/token)' } },
      async (_request, reply) => {
        const tokens = ctx.services.authTokens;
        if (!tokens) throw notFound('jwt_disabled');
        // Rotation keeps the old key published for the grace period, so a minute of caching is safe.
        reply.header('cache-control', 'public, max-age=60');
        return tokens.jwks();
      },
    );
  },
  start: async (ctx) => {
    await authRuntime(ctx).sessions.start(ctx.pubsub);
    // The kernel's CSRF rule (every cookie actor, any route) trusts auth's origins too.
    ctx.access.trustOrigins(trustedOrigins(ctx));
    ctx.access.addResolver(createSessionResolver(ctx, authRuntime(ctx)), -10);
    // Service JWTs first: a token that verifies needs no session lookup (jwt.ts).
    if (ctx.services.authTokens) ctx.access.addResolver(createJwtResolver(ctx.services.authTokens), -11);
  },
  stop: async (ctx) => {
    await authRuntime(ctx).sessions.stop();
    await closeAuthRuntime(ctx);
  },
  exportUser: (userId, ctx) => exportAuthData(ctx, userId),
});
