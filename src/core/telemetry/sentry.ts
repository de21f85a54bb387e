import { hostname } from 'node:os';
import type { Logger } from 'pino';
import * as Sentry from '@sentry/core';
import type { AppConfig } from '../config/schema.js';
import type { ErrorContext, ErrorReporter } from './errors.js';
import { scrubEvent } from './scrub.js';

/**
 * Events through @sentry/core alone (loaded only when `sentry.dsn` is set): its client, envelope
 * format, rate-limit handling, dedupe and stack parsing, with a fetch transport. Not @sentry/node:
 * it imports in ~400 ms instead of ~110 ms and installs OpenTelemetry and module hooks of its own
 * (docs/operations.md, "Why @sentry/core").
 */
export class SentryReporter implements ErrorReporter {
  readonly enabled = true;

  private constructor(
    private readonly client: Sentry.ServerRuntimeClient,
    private readonly log: Logger,
  ) {}

  static create(config: Pick<AppConfig, 'env' | 'sentry'>, log: Logger): SentryReporter {
    const { dsn, environment, release, sampleRate } = config.sentry;
    const client = new Sentry.ServerRuntimeClient({
      dsn: dsn!,
      environment: environment ?? config.env,
      release: release ?? undefined,
      sampleRate,
      platform: 'node',
      runtime: { name: 'node', version: process.version },
      serverName: hostname(),
      sendDefaultPii: false,
      stackParser: Sentry.createStackParser(Sentry.nodeStackLineParser()),
      integrations: [Sentry.dedupeIntegration(), Sentry.linkedErrorsIntegration(), Sentry.functionToStringIntegration()],
      transport: (options) =>
        Sentry.createTransport(options, async (request) => {
          const res = await fetch(options.url, {
            method: 'POST',
            body: request.body as string | Uint8Array<ArrayBuffer>,
            headers: { 'content-type': 'application/x-sentry-envelope' },
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer().catch(() => {});
          return {
            statusCode: res.status,
            headers: { 'x-sentry-rate-limits': res.headers.get('x-sentry-rate-limits'), 'retry-after': res.headers.get('retry-after') },
          };
        }),
      // The last word on what leaves the process (scrub.ts).
      beforeSend: (event) => scrubEvent(event),
    });
    client.init();
    log.info({ dsn: redactDsn(dsn!) }, 'error reporting to Sentry');
    return new SentryReporter(client, log);
  }

  capture(err: unknown, context: ErrorContext): void {
    try {
      const scope = new Sentry.Scope();
      scope.setLevel('error');
      const tags: Record<string, string | number> = { kind: context.kind };
      for (const key of ['requestId', 'method', 'route', 'status', 'actorKind', 'job', 'attempt', 'module', 'event'] as const) {
        const value = context[key];
        if (value !== undefined && value !== null) tags[key === 'requestId' ? 'request_id' : key === 'actorKind' ? 'actor_kind' : key] = value;
      }
      if (context.tenant) tags.tenant = context.tenant;
      scope.setTags(tags);
      if (context.kind === 'request') {
        scope.setContext('request', { method: context.method, route: context.route, path: context.path, headers: context.headers });
        // Grouped by route: one issue per broken endpoint, not per URL.
        scope.setTransactionName(`${context.method} ${context.route}`);
      } else if (context.job) scope.setTransactionName(`job ${context.job}`);
      else if (context.event) scope.setTransactionName(`event ${context.module} ${context.event}`);
      if (context.eventId) scope.setContext('event', { id: context.eventId, name: context.event, module: context.module });
      this.client.captureException(err, { mechanism: { type: `neptuno.${context.kind}`, handled: context.kind !== 'crash' } }, scope);
    } catch (e) {
      this.log.warn({ err: e }, 'could not report an error to Sentry');
    }
  }

  async flush(timeoutMs: number): Promise<boolean> {
    return this.client.flush(timeoutMs);
  }

  async close(): Promise<void> {
    await this.client.close(2_000);
  }
}

function redactDsn(dsn: string): string {
  return dsn.replace(/\/\/[^@]*@/, '//***@');
}
