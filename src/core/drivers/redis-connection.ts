import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

// Loaded on first use: a deployment without REDIS_URL never pays for ioredis at start-up.
const require = createRequire(import.meta.url);

export type { Redis } from 'ioredis';

/** A command that gets no answer within this long fails (Redis hung, or a silent network cut). */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** Time allowed to open a TCP connection to Redis. */
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;

export interface CreateRedisOptions {
  /** Do not connect until the first command (default false). */
  lazy?: boolean;
  /** Shown by `CLIENT LIST`, so an operator can tell Neptuno's connections apart. */
  name?: string;
  /**
   * Request-path clients (the default) fail fast while Redis is unreachable: after the first
   * connection no offline queue, no retry of a command whose connection dropped, and a command
   * timeout, so an outage turns into an immediate 503 `dependency_unavailable` instead of a
   * request hanging for seconds.
   * `false` for connections that must wait instead: BullMQ workers (blocking commands, which a
   * timeout would cut) and pub/sub subscribers (SUBSCRIBE replayed on reconnect).
   */
  failFast?: boolean;
  /**
   * Retries of one command while the connection is down before it fails. BullMQ workers need
   * `null` (wait forever). Default: 0 when failing fast, else 3.
   */
  maxRetriesPerRequest?: number | null;
  /** Called on connection errors; ioredis reconnects on its own either way. */
  onError?: (err: Error) => void;
}

/**
 * The one place Redis clients are built, so every driver gets the same settings.
 * An unhandled 'error' event would crash the process; ioredis reconnects by itself,
 * so errors are handed to `onError` (default: ignored) and commands fail on their own.
 */
export function createRedis(url: string, opts: CreateRedisOptions = {}): Redis {
  const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
  const failFast = opts.failFast ?? true;
  const client = new RedisClient(url, {
    connectionName: opts.name ?? 'neptuno',
    lazyConnect: opts.lazy ?? false,
    maxRetriesPerRequest: opts.maxRetriesPerRequest === undefined ? (failFast ? 0 : 3) : opts.maxRetriesPerRequest,
    // Commands sent before the first connection completes wait for it (start-up); see below.
    enableOfflineQueue: true,
    ...(failFast ? { commandTimeout: REDIS_COMMAND_TIMEOUT_MS } : {}),
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    enableReadyCheck: true,
    // Back off up to 2 s between reconnects; never give up (a replica must heal by itself).
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  client.on('error', (err: Error) => opts.onError?.(err));
  // Once connected, a command sent while the connection is down fails at once (ioredis reads
  // this option on every command) rather than queueing until Redis comes back.
  if (failFast) client.once('ready', () => void (client.options.enableOfflineQueue = false));
  return client;
}

/** The URL with any password replaced, fit for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Waits until the client is connected and ready, or fails with a message naming Redis and its
 * (redacted) URL: what an operator with a wrong REDIS_URL needs to read, instead of a command
 * failing later with ioredis' "max retries per request".
 */
export async function waitForRedis(client: Redis, url: string, timeoutMs = 5_000): Promise<void> {
  if (client.status === 'ready') return;
  let lastError: Error | undefined;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => (lastError = err);
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(() => {
      const why = lastError ? describeError(lastError) : `no answer within ${timeoutMs} ms`;
      done(new Error(`Redis at ${redactUrl(url)} is not reachable (${why}). Check REDIS_URL (redis.url) and that Redis is running.`));
    }, timeoutMs);
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

function describeError(err: Error): string {
  // Node reports a refused connection to every resolved address as an AggregateError with no message.
  const inner = err instanceof AggregateError && err.errors.length ? (err.errors[0] as Error) : err;
  return inner.message || (inner as NodeJS.ErrnoException).code || inner.name;
}

/** Closes a client politely, falling back to a hard disconnect when Redis is unreachable. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

export type ScriptArg = string | number;

/**
 * A Lua script run with EVALSHA, falling back to EVAL when the server does not know it yet
 * (first use, or after SCRIPT FLUSH / failover). Does not touch the client (no defineCommand),
 * so it is safe on clients shared with other code.
 */
export function luaScript<R = unknown>(source: string, numberOfKeys: number) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (client: Redis, keys: string[], args: ScriptArg[]): Promise<R> => {
    try {
      return (await client.evalsha(sha, numberOfKeys, ...keys, ...args)) as R;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await client.eval(source, numberOfKeys, ...keys, ...args)) as R;
    }
  };
}

/** Either a URL (the driver creates and owns its connection) or a client someone else owns. */
export type RedisSource = { url: string; client?: undefined } | { client: Redis; url?: undefined };

/** Resolves a RedisSource; `owned` tells the driver whether close() must close the client. */
export function resolveRedis(source: RedisSource, name: string): { client: Redis; owned: boolean } {
  if (source.client) return { client: source.client, owned: false };
  return { client: createRedis(source.url, { name }), owned: true };
}
