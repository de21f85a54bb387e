import type { FastifyRequest } from 'fastify';
import type { Actor, ActorResolver } from '../../core/http/access.js';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import type { AuthRuntime } from './runtime.js';
import { activeTenant } from './tenancy.js';
import { createCookieSessionReader } from './cookie-session.js';

/**
 * Actor resolver (order -10): a better-auth session from `Authorization: Bearer <token>` or from
 * the session cookie. A cookie's actor is kept per process for at most `session.cacheSeconds`
 * (session-cache.ts); sign-outs, revocations and account changes flush it on every replica. A cookie session is an actor with
 * via 'session', so the kernel refuses it on an unsafe request from an untrusted origin (CSRF,
 * core/http/csrf.ts) on every Neptuno route.
 */
export function createSessionResolver(ctx: ModuleContext<AuthConfig>, runtime: AuthRuntime): ActorResolver {
  const readCookieSession = createCookieSessionReader(ctx);

  /**
   * Bearer tokens go through better-auth's getSession (the bearer plugin's token formats; any
   * request extends them, as in better-auth). Cookie sessions are read directly
   * (cookie-session.ts) and never extended here: an actor resolver sees the request, not the
   * reply, so it could not send the refreshed cookie, and extending the row alone would leave the
   * browser's cookie expiring on the old date. GET /v1/auth/get-session refreshes row and cookie
   * together (front-ends call it on load).
   */
  const bearerSession = async (authorization: string) => {
    const result = await runtime.auth.api.getSession({ headers: new Headers({ authorization }) }).catch((err: unknown) => {
      // better-auth answers a bad token with an APIError; anything else (database down) propagates.
      if ((err as { name?: string })?.name === 'APIError') return null;
      throw err;
    });
    return result ?? null;
  };

  /** The session's active organization becomes the tenant while the user is still a member (tenancy.ts). */
  const toActor = async (s: { userId: string; role: string | null; activeOrganizationId: string | null; sessionId: string }, via: 'session' | 'bearer'): Promise<Actor> => ({
    type: 'user',
    id: s.userId,
    role: s.role ?? 'user',
    tenantId: await activeTenant(ctx, s.userId, { activeOrganizationId: s.activeOrganizationId }),
    via,
    sessionId: s.sessionId,
  });

  return async (request: FastifyRequest) => {
    const authorization = request.headers.authorization;
    if (authorization && /^bearer\s/i.test(authorization)) {
      // A bearer that is not a session token (a JWT, an admin token) is another resolver's.
      const result = await bearerSession(authorization);
      if (!result) return null;
      const session = result.session as { id: string; activeOrganizationId?: string | null };
      const role = (result.user as { role?: string | null }).role ?? null;
      return toActor({ userId: result.user.id, role, activeOrganizationId: session.activeOrganizationId ?? null, sessionId: session.id }, 'bearer');
    }
    const cookie = request.cookies?.[runtime.sessionCookieName];
    if (!cookie) return null;
    const cached = runtime.sessions.get(cookie);
    if (cached) return cached;
    const stamp = runtime.sessions.stamp;
    const session = await readCookieSession(cookie);
    if (!session) return null;
    // Frozen: the same object answers this cookie's next requests.
    const actor = Object.freeze(await toActor(session, 'session'));
    runtime.sessions.remember(cookie, actor, session.expiresAt, stamp);
    return actor;
  };
}
