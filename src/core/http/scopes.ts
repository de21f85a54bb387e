import type { FastifyRequest, RouteOptions } from 'fastify';
import { forbidden } from './problem.js';

/**
 * Least privilege for scoped credentials. A caller limited to scopes (an API key created with
 * `scopes`, any actor whose `scopes` is set) may use a route only when one of its scopes grants
 * the scope the route declares. Every route declares one, as a route option:
 *
 * @example
 * app.post('/events', { config: { scope: 'gamification:events:write' }, schema }, handler);
 * app.get('/event-types', { config: { scope: 'public' } }, handler);
 *
 * - a scope name (`<module>:<what>[:<action>]`): what a scoped caller needs;
 * - `'public'`: the route serves anonymous callers, so scopes do not restrict it;
 * - `'unscoped'`: never for scoped callers (key management, account security).
 *
 * A route that declares nothing is refused to scoped callers (deny by default), and a test walks
 * every shipped route to keep it that way (routes.test.ts). The kernel gives route groups a
 * default: `adminRoutes` need `admin`, `publicRoutes` are `public`. Sessions, guests, the admin
 * token and unrestricted keys carry no scopes and are not affected: their role decides, as before.
 */
export type RouteScope = 'public' | 'unscoped' | (string & {});

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a scoped caller (API key with scopes) needs for this route; see core/http/scopes.ts. */
    scope?: RouteScope;
  }
}

/** A granted scope covers `wanted` when equal, `*`, or a `prefix:*` pattern over it. */
export function grantsScope(granted: readonly string[], wanted: string): boolean {
  return granted.some((p) => p === '*' || p === wanted || (p.endsWith(':*') && wanted.startsWith(p.slice(0, -1))));
}

/** Throws 403 `insufficient_scope` unless the scoped caller may use this request's route. */
export function assertScope(request: FastifyRequest, scopes: readonly string[]): void {
  const scope = request.routeOptions.config?.scope;
  if (scope === 'public') return;
  if (scope === undefined || scope === 'unscoped') throw forbidden('insufficient_scope', { detailKey: 'insufficient_scope.unscoped', params: { scope: '-' } });
  if (!grantsScope(scopes, scope)) throw forbidden('insufficient_scope', { params: { scope }, extra: { scope } });
}

/** Every route with the scope it declares, for key validation, the OpenAPI document and tests. */
export class ScopeRegistry {
  // The route options objects themselves: a group's default (defaultScope) is applied by an
  // onRoute hook that runs after this root one, on the same object.
  private readonly options: RouteOptions[] = [];

  /** Root onRoute hook: records each route as it is registered. */
  readonly onRoute = (route: RouteOptions): void => {
    this.options.push(route);
  };

  get routes(): Array<{ method: string; url: string; scope: RouteScope | undefined }> {
    return this.options.flatMap((r) =>
      (Array.isArray(r.method) ? r.method : [r.method]).map((method) => ({ method, url: r.url, scope: r.config?.scope })),
    );
  }

  /** Scope names routes declare (without `public` and `unscoped`). */
  declared(): Set<string> {
    const out = new Set<string>();
    for (const r of this.routes) if (r.scope && r.scope !== 'public' && r.scope !== 'unscoped') out.add(r.scope);
    return out;
  }
}

/** onRoute hook for a group of routes: the group's scope unless a route declares its own. */
export const defaultScope =
  (scope: RouteScope) =>
  (route: RouteOptions): void => {
    if (route.config?.scope === undefined) route.config = { ...route.config, scope };
  };
