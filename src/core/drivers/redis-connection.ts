import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

// Loaded on first use: a deployment without REDIS_URL never pays for ioredis at start-up.
const require = createRequire(import.meta.url);

export type { Redis } from 'ioredis';

export interface CreateRedisOptions {
  /** Do not connect until the first command (default false). */
  lazy?: boolean;
  /** Shown by `CLIENT LIST`, so an operator can tell Neptuno's connections apart. */
  name?: string;
  /**
   * Retries of one command while the connection is down before it fails. BullMQ workers need
   * `null` (wait forever); request-path drivers want a small number so a Redis outage turns
   * into a fast error instead of a hung request.
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
  const client = new RedisClient(url, {
    connectionName: opts.name ?? 'neptuno',
    lazyConnect: opts.lazy ?? false,
    maxRetriesPerRequest: opts.maxRetriesPerRequest === undefined ? 3 : opts.maxRetriesPerRequest,
    enableReadyCheck: true,
    // Back off up to 2 s between reconnects; never give up (a replica must heal by itself).
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  client.on('error', (err: Error) => opts.onError?.(err));
  return client;
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
