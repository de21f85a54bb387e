import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';

/** Where an unexpected error happened; every field optional, all of them bounded (no bodies, no ids of people beyond the actor kind). */
export interface ErrorContext {
  kind: 'request' | 'job' | 'event' | 'crash';
  requestId?: string;
  method?: string;
  /** Route template (`/v1/wallet/:id`), never the raw URL. */
  route?: string;
  /** The path of the request (scrubbed before sending). */
  path?: string;
  status?: number;
  actorKind?: 'user' | 'guest' | 'service' | 'anonymous';
  tenant?: string | null;
  job?: string;
  attempt?: number;
  module?: string;
  event?: string;
  eventId?: string;
  /** Headers worth having (user-agent, content-type, accept-language): an allowlist, never cookies or credentials. */
  headers?: Record<string, string>;
}

/**
 * Unexpected errors (5xx, failed jobs and event handlers, crashes) to Sentry or a
 * Sentry-compatible service (`sentry.dsn`). Without a DSN it is `noErrorReporter`: nothing
 * loaded, nothing done.
 */
export interface ErrorReporter {
  readonly enabled: boolean;
  /** Sends the error in the background (never throws, never waits). */
  capture(err: unknown, context: ErrorContext): void;
  /** Waits until what was captured is sent, or `timeoutMs`; true when everything went. */
  flush(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export const noErrorReporter: ErrorReporter = {
  enabled: false,
  capture() {},
  flush: async () => true,
  close: async () => {},
};

/** The reporter for this configuration; @sentry/core is imported only when a DSN is set. */
export async function createErrorReporter(config: Pick<AppConfig, 'env' | 'sentry'>, log: Logger): Promise<ErrorReporter> {
  if (!config.sentry.dsn) return noErrorReporter;
  const { SentryReporter } = await import('./sentry.js');
  return SentryReporter.create(config, log);
}

/** Only these request headers travel with an error report. */
const SAFE_HEADERS = ['user-agent', 'content-type', 'accept-language', 'x-request-id'];

export function safeHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SAFE_HEADERS) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = v.slice(0, 300);
  }
  return out;
}
