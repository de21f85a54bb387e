import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyRequest } from 'fastify';
import type { App } from '../module.js';

/**
 * The request being served in the current async context, so `ctx.audit.record(...)` called deep
 * in a service (which knows no HTTP) can fill in the actor, IP and request id. Entered by a root
 * onRequest hook with `run(request, done)`: everything later in the request (hooks, handler,
 * services, transactions) runs inside it.
 */
export const requestContext = new AsyncLocalStorage<FastifyRequest>();

export function installRequestContext(server: App): void {
  // A plain callback hook: one AsyncLocalStorage.run per request, nothing else.
  server.addHook('onRequest', (request, _reply, done) => requestContext.run(request, done));
}

/** The request served in this async context, if any. */
export const currentRequest = (): FastifyRequest | undefined => requestContext.getStore();
