import { createHash } from 'node:crypto';
import { safeEqual } from '../crypto.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/schema.js';
import { forbidden, unauthorized } from './problem.js';
import { assertTrustedOrigin, configuredOrigins, COOKIE_VIAS } from './csrf.js';
import { assertScope, ScopeRegistry } from './scopes.js';

/**
 * Who is calling. Resolved lazily, once per request, by the resolvers modules register
 * (identity: session cookie, bearer token, API key, guest cookie). The kernel itself only
 * knows the admin token from the environment.
 */
export interface Actor {
  type: 'user' | 'guest' | 'service';
  id: string;
  /** Role name from `roles` in neptuno.yaml; null for guests. */
  role: string | null;
  tenantId: string | null;
  /**
   * How the actor authenticated: 'session' (cookie), 'bearer', 'api_key', 'jwt', 'guest', 'admin_token'…
   * 'session' and 'guest' mean a cookie: unsafe requests must then come from a trusted origin (csrf.ts).
   */
  via: string;
  /** Scopes of an API key or JWT; undefined means the role's permissions apply unrestricted (scopes.ts). */
  scopes?: string[];
  sessionId?: string;
}

export type ActorResolver = (request: FastifyRequest) => Promise<Actor | null> | Actor | null;

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, or null when anonymous. Cached per request. */
    actor(): Promise<Actor | null>;
    /** The cached actor promise (internal). */
    _actor?: Promise<Actor | null>;
  }
}

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Resolvers, roles and guards. One instance per app. */
export class Access {
  private readonly resolvers: Array<{ order: number; fn: ActorResolver }> = [];
  private readonly trusted: string[];
  /** Every route and the scope it declares (filled by a root onRoute hook, app.ts). */
  readonly scopes = new ScopeRegistry();

  constructor(private readonly config: AppConfig) {
    this.trusted = configuredOrigins(config);
    const token = config.admin.token;
    if (token) {
      const expected = createHash('sha256').update(token).digest();
      // Runs first: a matching admin token is an admin service actor; anything else falls through.
      this.addResolver((req) => {
        const header = req.headers.authorization;
        if (!header?.startsWith('Bearer ')) return null;
        const given = createHash('sha256').update(header.slice(7)).digest();
        return safeEqual(given, expected)
          ? { type: 'service', id: 'admin-token', role: 'admin', tenantId: null, via: 'admin_token' }
          : null;
      }, -100);
    }
  }

  /** Registers a resolver; lower order runs first, the first non-null answer wins. */
  addResolver(fn: ActorResolver, order = 0): void {
    this.resolvers.push({ order, fn });
    this.resolvers.sort((a, b) => a.order - b.order);
  }

  /** Adds origins trusted for cookie-authenticated unsafe requests (e.g. auth's trustedOrigins; wildcards allowed). */
  trustOrigins(origins: readonly string[]): void {
    for (const o of origins) if (!this.trusted.includes(o)) this.trusted.push(o.replace(/\/+$/, ''));
  }

  /** Origins trusted for cookie-authenticated unsafe requests: publicUrl, CORS origins, modules' additions. */
  trustedOrigins(): readonly string[] {
    return this.trusted;
  }

  /**
   * The first resolver's actor, then the kernel's rules for it, whichever module resolved it: a
   * cookie-borne actor on an unsafe method must come from a trusted origin (CSRF), and a scoped
   * one must hold the scope the route declares.
   */
  async resolve(request: FastifyRequest): Promise<Actor | null> {
    for (const { fn } of this.resolvers) {
      const actor = await fn(request);
      if (!actor) continue;
      if (COOKIE_VIAS.has(actor.via)) assertTrustedOrigin(request, this.trusted);
      if (actor.scopes !== undefined) assertScope(request, actor.scopes);
      return actor;
    }
    return null;
  }

  permissionsOf(role: string | null): string[] {
    if (!role) return [];
    return this.config.roles[role]?.permissions ?? [];
  }

  /** True when the actor's role grants `permission` (`*`, exact, or `prefix:*`), within its scopes. */
  can(actor: Actor | null, permission: string): boolean {
    if (!actor) return false;
    const grants = (list: string[]) =>
      list.some((p) => p === '*' || p === permission || (p.endsWith(':*') && permission.startsWith(p.slice(0, -1))));
    if (!grants(this.permissionsOf(actor.role))) return false;
    return actor.scopes === undefined || grants(actor.scopes);
  }

  /** Any caller, guest or user. 401 when anonymous. */
  readonly requireActor: Guard = async (req) => {
    if (!(await req.actor())) throw unauthorized('authentication_required');
  };

  /**
   * A signed-in user, or a service actor (the admin token). Guests get 401. For routes that act
   * on "my" data (the actor's id must be a user id), use requirePerson.
   */
  readonly requireUser: Guard = async (req) => {
    const actor = await req.actor();
    if (!actor || actor.type === 'guest') throw unauthorized('authentication_required');
  };

  /**
   * A user account only (session, bearer token, API key or JWT of a user): guests and anonymous
   * callers get 401, the admin token's service actor (whose id is not a user) 403 `person_required`.
   */
  readonly requirePerson: Guard = async (req) => {
    const actor = await req.actor();
    if (!actor || actor.type === 'guest') throw unauthorized('authentication_required');
    if (actor.type !== 'user') throw forbidden('person_required');
  };

  requireRole(...roles: string[]): Guard {
    return async (req) => {
      const actor = await req.actor();
      if (!actor || actor.type === 'guest') throw unauthorized('authentication_required');
      if (!actor.role || !roles.includes(actor.role)) throw forbidden('forbidden');
    };
  }

  requirePermission(permission: string): Guard {
    return async (req) => {
      const actor = await req.actor();
      if (!actor) throw unauthorized('authentication_required');
      if (!this.can(actor, permission)) throw forbidden('forbidden');
    };
  }

  /** Admin endpoints: the `admin` role (or any role granted `*`). */
  readonly requireAdmin: Guard = async (req) => {
    const actor = await req.actor();
    if (!actor || actor.type === 'guest') throw unauthorized('authentication_required');
    if (!this.can(actor, 'admin')) throw forbidden('forbidden');
  };
}
