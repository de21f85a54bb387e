import type { RateLimiter, RateLimitResult, RateLimitRule } from './contract.js';
import { checkHit, toResult } from './shared.js';
import { closeRedis, luaScript, resolveRedis, type Redis, type RedisSource } from '../redis-connection.js';

/**
 * One atomic step on the Redis server, so replicas cannot race between reading and counting.
 * Refused hits do not consume. The window starts at the first counted hit (PEXPIRE), and a
 * key that somehow lost its TTL gets one again instead of blocking forever.
 * Returns { allowed (0|1), count after the hit, ms until the window resets }.
 */
const hitScript = luaScript<[number, number, number]>(
  `
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if current + cost > limit then
  if ttl < 0 then ttl = window end
  return {0, current, ttl}
end
current = redis.call('INCRBY', KEYS[1], cost)
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  ttl = window
end
return {1, current, ttl}
`,
  1,
);

export type RedisRateLimiterOptions = RedisSource & { prefix: string };

/** Fixed-window counters shared by every replica, so a limit holds in total. */
export class RedisRateLimiter implements RateLimiter {
  private readonly client: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;

  constructor(opts: RedisRateLimiterOptions) {
    const { client, owned } = resolveRedis(opts, 'neptuno:ratelimit');
    this.client = client;
    this.owned = owned;
    this.prefix = opts.prefix;
  }

  async hit(key: string, rule: RateLimitRule, cost = 1): Promise<RateLimitResult> {
    checkHit(key, rule, cost);
    const windowMs = Math.ceil(rule.windowMs);
    const [allowed, count, ttl] = await hitScript(this.client, [this.prefix + key], [cost, rule.limit, windowMs]);
    return toResult(allowed === 1, count, rule, ttl);
  }

  async reset(key: string): Promise<void> {
    await this.client.unlink(this.prefix + key);
  }

  async close(): Promise<void> {
    if (this.owned) await closeRedis(this.client);
  }
}
