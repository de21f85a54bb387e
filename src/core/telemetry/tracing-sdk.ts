import { createRequire } from 'node:module';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { statementKind } from '../db/stats.js';
import type { Tracing } from './tracing.js';

const SPAN = Symbol('neptuno.span');
type Traced = FastifyRequest & { [SPAN]?: Span };

let contextRegistered = false;

/**
 * The instrumentation hooks `require`, so it patches a module when it is first loaded. Already
 * loaded (an earlier app in this process, whose tracing was shut down and unpatched it): patch
 * it now, the way the hook would have.
 */
function patchLoaded(instrumentation: IORedisInstrumentation, name: string): void {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve(name);
  } catch {
    return;
  }
  if (!require.cache[path]) return;
  const exports = require(name) as unknown;
  const version = (require(`${name}/package.json`) as { version: string }).version;
  for (const def of instrumentation.getModuleDefinitions()) {
    if (def.name !== name || !def.patch) continue;
    def.moduleExports = def.patch(exports, version);
    def.moduleVersion = version;
  }
}

/** Loaded only when tracing.endpoint is set (tracing.ts). */
export function startOtel(config: Pick<AppConfig, 'tracing' | 'env'>, database: Database, log: Logger): Tracing {
  const { endpoint, serviceName, sampleRatio } = config.tracing;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'deployment.environment.name': config.env }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint!.replace(/\/+$/, '')}/v1/traces` }))],
  });
  // The context manager (AsyncLocalStorage) and the W3C propagator are process-wide: registered
  // once. Spans go to this app's provider whatever the global one is (tests run several apps).
  if (!contextRegistered) {
    provider.register();
    contextRegistered = true;
  }
  const tracer: Tracer = provider.getTracer('neptuno');
  // Redis commands (ioredis, also under BullMQ) and outgoing fetch/undici calls, inside a request or a job only.
  const redisInstrumentation = new IORedisInstrumentation({ requireParentSpan: true });
  const instrumentations = [redisInstrumentation, new UndiciInstrumentation({ requireParentforSpans: true })];
  for (const i of instrumentations) {
    i.setTracerProvider(provider);
    i.enable();
  }
  patchLoaded(redisInstrumentation, 'ioredis');

  const dbSystem = database.dialect === 'sqlite' ? 'sqlite' : 'postgresql';
  // A span per statement, under the request or job that ran it (pollers' statements stay out).
  database.stats.tracer = (query, run) => {
    const parent = context.active();
    if (!trace.getSpan(parent)) return run();
    const operation = statementKind(query.sql);
    const span = tracer.startSpan(
      operation === 'other' ? dbSystem : `${operation} ${dbSystem}`,
      { kind: SpanKind.CLIENT, attributes: { 'db.system': dbSystem, 'db.statement': query.sql, 'db.operation': operation } },
      parent,
    );
    return context.with(trace.setSpan(parent, span), run).then(
      (result) => {
        span.end();
        return result;
      },
      (err: unknown) => {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        throw err;
      },
    );
  };
  log.info({ endpoint, serviceName }, 'tracing: spans exported by OTLP/HTTP');

  return {
    wrapJob: (name, handler) => (payload, job) =>
      tracer.startActiveSpan(
        `job ${name}`,
        { kind: SpanKind.CONSUMER, attributes: { 'messaging.operation.type': 'process', 'neptuno.job.name': name, 'neptuno.job.attempt': job.attempt, 'neptuno.job.id': job.id } },
        ROOT_CONTEXT,
        async (span) => {
          try {
            await handler(payload, job);
          } catch (err) {
            span.recordException(err as Error);
            span.setStatus({ code: SpanStatusCode.ERROR });
            throw err;
          } finally {
            span.end();
          }
        },
      ),
    installHttp(server) {
      server.addHook('onRequest', (request: Traced, _reply, done) => {
        const parent = propagation.extract(ROOT_CONTEXT, request.headers);
        const span = tracer.startSpan(
          request.method,
          { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0], 'neptuno.request_id': request.id } },
          parent,
        );
        request[SPAN] = span;
        const { traceId, spanId } = span.spanContext();
        // Every line this request logs carries its trace.
        request.log = request.log.child({ traceId, spanId });
        context.with(trace.setSpan(parent, span), done);
      });
      // Handlers run inside the request's span even when the body was read from the socket in
      // another async context (POST): wrap each handler as routes are added.
      server.addHook('onRoute', (route) => {
        const handler = route.handler as (this: unknown, req: Traced, reply: unknown) => unknown;
        route.handler = function (this: unknown, req: Traced, reply: unknown) {
          const span = req[SPAN];
          return span ? context.with(trace.setSpan(context.active(), span), () => handler.call(this, req, reply)) : handler.call(this, req, reply);
        } as typeof route.handler;
      });
      server.addHook('onResponse', (request: Traced, reply, done) => {
        const span = request[SPAN];
        if (span) {
          const route = request.routeOptions.url;
          if (route) {
            span.setAttribute('http.route', route);
            span.updateName(`${request.method} ${route}`);
          }
          span.setAttribute('http.response.status_code', reply.statusCode);
          if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
        done();
      });
    },
    flush: () => provider.forceFlush(),
    async shutdown() {
      for (const i of instrumentations) i.disable();
      database.stats.tracer = null;
      await provider.shutdown();
    },
  };
}
