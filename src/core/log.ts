import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from './config/schema.js';

/** Bytes of log lines kept while the destination is not reading; beyond this, lines are dropped. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** How long the synchronous flush at process exit keeps retrying a destination that takes nothing. */
export const EXIT_FLUSH_LIMIT_MS = 1_000;

interface SonicBoomLike extends DestinationStream {
  flushSync(): void;
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
  /** Private to SonicBoom but stable across its versions: true while a write is in flight or being retried. */
  _writing?: boolean;
}

const destinations = new WeakMap<Logger, SonicBoomLike>();

/**
 * Asynchronous stdout whose every wait is bounded, so a stalled log collector (a pipe nobody
 * reads) can never keep the process alive or make it unresponsive:
 * - fd 1 is made non-blocking (touching process.stdout does that for pipes). Left blocking, a
 *   full pipe would block the thread that writes: forever, with nothing able to interrupt it.
 *   Some code touches process.stdout anyway (tsx does when `moduleFiles` are loaded); doing it
 *   always means one behaviour to reason about.
 * - While the destination does not read, lines are buffered up to MAX_BUFFERED_BYTES and then
 *   dropped: losing log lines beats running out of memory.
 * - pino flushes synchronously at exit (SonicBoom flushSync), retrying EAGAIN forever; here it
 *   gives up after EXIT_FLUSH_LIMIT_MS and the process exits with the rest unwritten.
 */
function boundedDestination(fd: number): SonicBoomLike {
  if (fd === 1) void process.stdout;
  else if (fd === 2) void process.stderr;
  let deadline = 0;
  const stream = pino.destination({
    dest: fd,
    sync: false,
    maxLength: MAX_BUFFERED_BYTES,
    // Asynchronous writes retry on a timer (harmless); only the synchronous exit flush is bounded.
    retryEAGAIN: () => deadline === 0 || Date.now() < deadline,
  }) as unknown as SonicBoomLike;
  const flushSync = stream.flushSync.bind(stream);
  stream.flushSync = () => {
    deadline = Date.now() + EXIT_FLUSH_LIMIT_MS;
    try {
      flushSync();
    } catch {
      // The destination took nothing for EXIT_FLUSH_LIMIT_MS: what is left is dropped.
    } finally {
      deadline = 0;
    }
  };
  return stream;
}

/**
 * With tracing on, lines written inside a span (jobs, handlers) carry its trace and span ids
 * (request lines get them from the request's logger). Without it, no mixin: nothing per line.
 */
function traceMixin(config: Partial<Pick<AppConfig, 'tracing'>>): (() => object) | undefined {
  if (!config.tracing?.endpoint) return undefined;
  const { context, trace } = createRequire(import.meta.url)('@opentelemetry/api') as typeof import('@opentelemetry/api');
  return () => {
    const span = trace.getSpan(context.active());
    if (!span) return {};
    const { traceId, spanId } = span.spanContext();
    return { traceId, spanId };
  };
}

export function createLogger(config: Pick<AppConfig, 'log'> & Partial<Pick<AppConfig, 'tracing'>>, fd = 1): Logger {
  const destination = boundedDestination(fd);
  const logger = pino(
    {
      level: config.log.level,
      base: { app: 'neptuno' },
      mixin: traceMixin(config),
      redact: {
        // Exact paths only: wildcard paths make pino walk every object on every log line.
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'password', 'secret', 'token'],
        censor: '[redacted]',
      },
    },
    // Asynchronous stdout: under load, lines written while a write is in flight go out together
    // (one syscall for many requests) instead of one blocking write per line. Flushed on exit.
    destination,
  );
  destinations.set(logger, destination);
  return logger;
}

/**
 * Waits until the logger's pending lines are written, or `timeoutMs`, whichever comes first.
 * True when everything was written. Loggers not made by createLogger resolve at once.
 */
export function flushLogger(logger: Logger, timeoutMs: number): Promise<boolean> {
  const stream = destinations.get(logger);
  if (!stream?._writing) return Promise.resolve(true);
  return new Promise((done) => {
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      stream.off('drain', onDrain);
      done(ok);
    };
    const onDrain = () => finish(true);
    const timer = setTimeout(() => finish(false), timeoutMs);
    timer.unref();
    stream.on('drain', onDrain);
  });
}
