import type { FastifyRequest } from 'fastify';
import type { Actor, ActorResolver } from '../../core/http/access.js';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { assertSameOriginForCookie, trustedOrigins } from './origins.js';
import type { AuthRuntime } from './runtime.js';
import { activeTenant } from './tenancy.js';

/**
 * Actor resolver (order -10): a better-auth session from `Authorization: Bearer <token>` or from
 * the session cookie. Sessions are read from the database on every request (no cache), so a
 * sign-out or revocation takes effect at once on every replica. A cookie-authenticated unsafe
 * request from an untrusted origin is refused here, which covers every Neptuno route (CSRF).
 */
export function createSessionResolver(ctx: ModuleContext<AuthConfig>, runtime: AuthRuntime): ActorResolver {
  const trusted = trustedOrigins(ctx);

  /**
   * `refresh: false` for cookie sessions. better-auth's getSession pushes the expiry forward in
   * the database once `updateAge` has passed and answers a new Set-Cookie with a matching max-age;
   * an actor resolver cannot send that cookie (it sees the request, not the reply), so extending
   * the row here would leave the browser's cookie expiring on the old date while the row lives
   * on. Cookie sessions are therefore extended only by GET /v1/auth/get-session, which refreshes
   * row and cookie together (front-ends call it on load). Bearer sessions have no cookie to keep
   * in step, so any request extends them, as in better-auth.
   */
  const lookup = async (headers: Record<string, string>, refresh: boolean) => {
    const query = refresh ? undefined : { disableRefresh: true };
    const result = await runtime.auth.api.getSession({ headers: new Headers(headers), query }).catch((err: unknown) => {
      // better-auth answers a bad token with an APIError; anything else (database down) propagates.
      if ((err as { name?: string })?.name === 'APIError') return null;
      throw err;
    });
    return result ?? null;
  };

  const toActor = async (result: NonNullable<Awaited<ReturnType<typeof lookup>>>, via: 'session' | 'bearer'): Promise<Actor> => ({
    type: 'user',
    id: result.user.id,
    role: (result.user as { role?: string | null }).role ?? 'user',
    // The session's active organization while the user is still a member (tenancy.ts).
    tenantId: await activeTenant(ctx, result.user.id, result.session as { activeOrganizationId?: string | null }),
    via,
    sessionId: result.session.id,
  });

  return async (request: FastifyRequest) => {
    const authorization = request.headers.authorization;
    if (authorization && /^bearer\s/i.test(authorization)) {
      // A bearer that is not a session token (a JWT, an admin token) is another resolver's.
      const result = await lookup({ authorization }, true);
      return result ? toActor(result, 'bearer') : null;
    }
    if (!request.cookies?.[runtime.sessionCookieName]) return null;
    const result = await lookup({ cookie: request.headers.cookie ?? '' }, false);
    if (!result) return null;
    assertSameOriginForCookie(request, trusted);
    return toActor(result, 'session');
  };
}
