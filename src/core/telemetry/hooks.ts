import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Queue } from '../drivers/queue/contract.js';
import { safeHeaders, type ErrorContext, type ErrorReporter } from './errors.js';

/** The actor kind and tenant of a request that already resolved its actor (never resolves one). */
async function actorOf(request: FastifyRequest): Promise<Pick<ErrorContext, 'actorKind' | 'tenant'>> {
  const actor = request._actor ? await request._actor.catch(() => null) : null;
  return { actorKind: actor?.type ?? 'anonymous', tenant: actor?.tenantId ?? null };
}

/** Reports a request's unexpected error (500): request id, route template, method, actor kind, tenant. */
export function reportRequestError(reporter: ErrorReporter, err: unknown, request: FastifyRequest, status: number): void {
  void actorOf(request).then((actor) =>
    reporter.capture(err, {
      kind: 'request',
      requestId: request.id,
      method: request.method,
      route: request.routeOptions?.url ?? 'unmatched',
      path: request.url.split('?')[0],
      status,
      headers: safeHeaders(request.headers),
      ...actor,
    }),
  );
}

/** A queue handler wrapped for error reporting and/or tracing. */
export type JobWrapper = (name: string, handler: Parameters<Queue['register']>[1]) => Parameters<Queue['register']>[1];

/**
 * Wraps every handler registered on the queue from now on (call before modules are wired).
 * Delivery jobs (`<module>.on.<event>`) are not reported here: their handler's failure already
 * was, as an event failure.
 */
export function wrapQueueHandlers(queue: Queue, wrappers: JobWrapper[]): void {
  if (!wrappers.length) return;
  const register = queue.register.bind(queue);
  queue.register = (name, handler) => register(name, wrappers.reduce((h, wrap) => wrap(name, h), handler));
}

export function reportJobFailures(reporter: ErrorReporter): JobWrapper {
  return (name, handler) => {
    if (name.includes('.on.')) return handler;
    return async (payload, job) => {
      try {
        await handler(payload, job);
      } catch (err) {
        reporter.capture(err, { kind: 'job', job: name, attempt: job.attempt });
        throw err;
      }
    };
  };
}

/**
 * Crashes: an uncaught exception or unhandled rejection is reported, flushed (at most 2 s) and
 * the process exits 1, as Node would have. Only for `neptuno start` with a DSN.
 */
export function reportCrashes(reporter: ErrorReporter, log: Logger): void {
  if (!reporter.enabled) return;
  let crashing = false;
  const crash = (err: unknown, origin: string) => {
    log.fatal({ err, origin }, 'crashed');
    if (crashing) return;
    crashing = true;
    reporter.capture(err, { kind: 'crash' });
    void reporter.flush(2_000).finally(() => process.exit(1));
  };
  process.on('uncaughtException', (err) => crash(err, 'uncaughtException'));
  process.on('unhandledRejection', (reason) => crash(reason, 'unhandledRejection'));
}
