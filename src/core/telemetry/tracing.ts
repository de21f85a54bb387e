import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';
import type { Database } from '../db/database.js';
import type { App } from '../module.js';
import type { JobWrapper } from './hooks.js';

/**
 * OpenTelemetry traces (`tracing.endpoint`): a span per request, SQL statement, Redis command,
 * job and outgoing fetch, exported by OTLP/HTTP. Off by default, and then nothing of
 * OpenTelemetry is imported and no hook is installed: the request path does not change.
 */
export interface Tracing {
  /** Wraps each job in a span of its own (a trace root). */
  wrapJob: JobWrapper;
  /** Request spans (incoming `traceparent` followed), trace ids in request log lines. Call before any route. */
  installHttp(server: App): void;
  /** Sends what is buffered now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Tracing for this configuration, or null when `tracing.endpoint` is not set. Call before drivers connect (Redis instrumentation). */
export async function startTracing(config: Pick<AppConfig, 'tracing' | 'env'>, database: Database, log: Logger): Promise<Tracing | null> {
  if (!config.tracing.endpoint) return null;
  const { startOtel } = await import('./tracing-sdk.js');
  return startOtel(config, database, log);
}
