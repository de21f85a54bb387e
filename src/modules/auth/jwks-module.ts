import { defineModule } from '../../core/module.js';
import { notFound } from '../../core/http/problem.js';

/**
 * `GET /.well-known/jwks.json`: the public keys of the auth module's service JWTs, at the root
 * where JWT libraries look for them. A module of its own because a module's routes all live
 * under its one prefix (auth's is /v1/auth). Cacheable for a minute: rotation keeps the old
 * key published for the grace period, so a stale copy never rejects a fresh token for long.
 */
export default defineModule({
  name: 'auth-jwks',
  dependsOn: ['auth'],
  prefix: '/.well-known',
  routes: async (app, ctx) => {
    app.get(
      '/jwks.json',
      { schema: { tags: ['auth: tokens'], summary: 'JSON Web Key Set of the service JWTs (GET /v1/auth/token)' } },
      async (_request, reply) => {
        const tokens = ctx.services.authTokens;
        if (!tokens) throw notFound('jwt_disabled');
        reply.header('cache-control', 'public, max-age=60');
        return tokens.jwks();
      },
    );
  },
});
