import type { Cache } from './contract.js';
import { checkTtl, decode, encode, InflightLoads } from './shared.js';
import { closeRedis, resolveRedis, type Redis, type RedisSource } from '../redis-connection.js';

export type RedisCacheOptions = RedisSource & { prefix: string };

/** Keys per SCAN page and per UNLINK call: large enough to be quick, small enough not to block Redis. */
const BATCH = 500;

/** SCAN MATCH treats these as pattern syntax; a prefix must match them literally. */
const escapeGlob = (s: string) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/** Cache shared by every replica; values are JSON strings with a PX expiry. */
export class RedisCache implements Cache {
  private readonly client: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly inflight = new InflightLoads();

  constructor(opts: RedisCacheOptions) {
    const { client, owned } = resolveRedis(opts, 'neptuno:cache');
    this.client = client;
    this.owned = owned;
    this.prefix = opts.prefix;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    return decode<T>(await this.client.get(this.prefix + key));
  }

  async set<T = unknown>(key: string, value: T, ttlMs?: number): Promise<void> {
    const ttl = checkTtl(ttlMs);
    const raw = encode(value);
    if (raw === undefined) {
      await this.client.unlink(this.prefix + key);
      return;
    }
    if (ttl === undefined) await this.client.set(this.prefix + key, raw);
    else await this.client.set(this.prefix + key, raw, 'PX', ttl);
  }

  async delete(key: string): Promise<void> {
    this.inflight.invalidate(key);
    await this.client.unlink(this.prefix + key);
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    this.inflight.invalidate(prefix, true);
    const match = `${escapeGlob(this.prefix + prefix)}*`;
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', BATCH);
      cursor = next;
      // SCAN may repeat a key across pages; UNLINK's count only includes keys that still existed.
      if (keys.length > 0) deleted += await this.client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  }

  async getOrSet<T>(key: string, ttlMs: number | undefined, loader: () => Promise<T>): Promise<T> {
    return this.inflight.getOrSet(this, key, ttlMs, loader);
  }

  async close(): Promise<void> {
    if (this.owned) await closeRedis(this.client);
  }
}
