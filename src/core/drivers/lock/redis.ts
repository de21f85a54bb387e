import type { AcquireOptions, Lock, LockManager } from './contract.js';
import { acquireWithRetry, checkAcquireOptions, newOwnerToken, runWithLock } from './shared.js';
import { closeRedis, luaScript, resolveRedis, type Redis, type RedisSource } from '../redis-connection.js';

// Compare-and-act: only the holder of the token may delete or extend. Done in Lua so the
// check and the action are one atomic step (a GET then DEL could delete a newer owner's lock).
const releaseScript = luaScript<number>(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`,
  1,
);
const extendScript = luaScript<number>(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`,
  1,
);

export type RedisLockManagerOptions = RedisSource & { prefix: string };

/** Locks shared by every replica: SET key token NX PX, released/extended only by the token holder. */
export class RedisLockManager implements LockManager {
  private readonly client: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;

  constructor(opts: RedisLockManagerOptions) {
    const { client, owned } = resolveRedis(opts, 'neptuno:lock');
    this.client = client;
    this.owned = owned;
    this.prefix = opts.prefix;
  }

  async acquire(key: string, opts: AcquireOptions): Promise<Lock | null> {
    checkAcquireOptions(key, opts);
    const ttlMs = Math.ceil(opts.ttlMs);
    return acquireWithRetry(() => this.tryAcquire(key, ttlMs), opts.waitMs);
  }

  withLock<T>(key: string, opts: AcquireOptions, fn: (lock: Lock) => Promise<T>): Promise<T> {
    return runWithLock(() => this.acquire(key, opts), key, fn);
  }

  async close(): Promise<void> {
    if (this.owned) await closeRedis(this.client);
  }

  private async tryAcquire(key: string, ttlMs: number): Promise<Lock | null> {
    const token = newOwnerToken();
    const fullKey = this.prefix + key;
    const ok = await this.client.set(fullKey, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return null;
    const client = this.client;
    return {
      key,
      release: async () => (await releaseScript(client, [fullKey], [token])) === 1,
      extend: async (extendMs: number) => {
        if (!Number.isFinite(extendMs) || extendMs < 1) throw new RangeError('Lock ttlMs must be >= 1');
        return (await extendScript(client, [fullKey], [token, Math.ceil(extendMs)])) === 1;
      },
    };
  }
}
