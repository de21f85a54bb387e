import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { App } from '../module.js';
import type { Actor } from './access.js';

/**
 * API-call hooks: the kernel's extension point for usage metering and quotas (the plans module
 * counts `apiCalls` per tenant with it; an app may bill or audit calls the same way).
 *
 * An **API call** is a request that matched a route under `/v1/` outside the kernel's own
 * families — `/v1/admin/*` (operators), `/v1/auth/*` (signing in is not using the API) and
 * `/v1/public/*` (anonymous by design) — made by an authenticated actor (any kind: the hook
 * decides whom it counts). Requests refused before their handler would run (unknown route,
 * validation, a guard in `onRequest`) are not calls.
 *
 * A hook has two halves, both optional:
 * - `admit(call)` runs before the handler (a root `preHandler`, so after every `onRequest`
 *   guard and the schema validation). It may throw an `HttpProblem` (e.g. 429 quota
 *   exceeded): the handler then never runs. Keep it cheap: it is on every call.
 * - `completed(call, statusCode)` runs after the answer was sent (`onResponse`); errors are
 *   logged, never surfaced.
 *
 * With no hook registered the kernel's two hooks return at once (one length check), so apps
 * without metering pay nothing. A request that carries no credential (no Authorization,
 * X-API-Key or Cookie header) is never resolved.
 *
 * @example
 *   ctx.apiCalls.use({
 *     name: 'audit',
 *     completed: (call, status) => void log.info({ actor: call.actor.id, route: call.route, status }),
 *   });
 */
export interface ApiCall {
  request: FastifyRequest;
  reply: FastifyReply;
  actor: Actor;
  /** The route's URL template (`/v1/crm/customers/:id`), not the concrete path. */
  route: string;
  method: string;
}

export interface ApiCallHook {
  /** For logs. */
  name: string;
  admit?(call: ApiCall): Promise<void> | void;
  completed?(call: ApiCall, statusCode: number): Promise<void> | void;
}

/** Route families that are not API calls (see ApiCall). */
const EXCLUDED = ['/v1/admin/', '/v1/auth/', '/v1/public/'];

/** True when a route template is an API route in the sense above. */
export function isApiRoute(route: string | undefined): route is string {
  if (!route || !route.startsWith('/v1/')) return false;
  for (const prefix of EXCLUDED) if (route.startsWith(prefix)) return false;
  return true;
}

const CALL = Symbol('neptuno.apiCall');
type Marked = FastifyRequest & { [CALL]?: ApiCall };

/** `ctx.apiCalls`: register hooks at any time (the kernel's request hooks read the list per call). */
export class ApiCalls {
  private hooks: ApiCallHook[] = [];

  constructor(private readonly log: Logger) {}

  use(hook: ApiCallHook): () => void {
    this.hooks = [...this.hooks, hook];
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  private async admit(request: FastifyRequest, reply: FastifyReply, route: string): Promise<void> {
    let actor: Actor | null;
    try {
      actor = await request.actor();
    } catch {
      // A refused credential (CSRF, scope): the route's own guard answers it, or the route
      // never needed an actor. Either way this is no metered call.
      return;
    }
    if (!actor) return;
    const call: ApiCall = { request, reply, actor, route, method: request.method };
    (request as Marked)[CALL] = call;
    for (const hook of this.hooks) if (hook.admit) await hook.admit(call);
  }

  /** Installs the two root hooks; called by createApp before any route is registered. */
  install(server: App): void {
    // Plain callback hooks: a request that is no metered call pays a few comparisons, no promise.
    server.addHook('preHandler', (request, reply, done) => {
      if (this.hooks.length === 0) return done();
      const route = request.routeOptions.url;
      if (!isApiRoute(route)) return done();
      const h = request.headers;
      if (!h.authorization && !h['x-api-key'] && !h.cookie) return done();
      this.admit(request, reply, route).then(() => done(), done);
    });
    server.addHook('onResponse', (request, reply, done) => {
      const call = (request as Marked)[CALL];
      if (call) {
        for (const hook of this.hooks) {
          if (!hook.completed) continue;
          try {
            const out = hook.completed(call, reply.statusCode);
            if (out instanceof Promise) out.catch((err: unknown) => this.log.warn({ err, hook: hook.name }, 'api-call hook failed'));
          } catch (err) {
            this.log.warn({ err, hook: hook.name }, 'api-call hook failed');
          }
        }
      }
      done();
    });
  }
}
