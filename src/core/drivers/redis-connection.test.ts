import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { closeRedis, createRedis, luaScript } from './redis-connection.js';
import { testRedisUrl } from '../../testing/targets.js';

describe('redis connection helper', () => {
  it('reports errors to onError instead of crashing when Redis is unreachable', async () => {
    const errors: Error[] = [];
    // Port 1 refuses connections on any sane machine.
    const client = createRedis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, onError: (e) => errors.push(e) });
    await expect(client.ping()).rejects.toThrow();
    expect(errors.length).toBeGreaterThan(0);
    await closeRedis(client);
  });

  if (!testRedisUrl) it.skip('redis specifics: NEPTUNO_TEST_REDIS_URL not set', () => {});

  it.runIf(testRedisUrl)('names the connection and runs scripts the server has not seen yet', async () => {
    const client = createRedis(testRedisUrl!, { name: 'neptuno-test-conn' });
    try {
      expect(await client.client('GETNAME')).toBe('neptuno-test-conn');
      // A never-seen source forces the NOSCRIPT -> EVAL fallback, the second call uses EVALSHA.
      const script = luaScript<number>(`-- ${randomBytes(8).toString('hex')}\nreturn tonumber(ARGV[1]) * 2`, 0);
      expect(await script(client, [], [21])).toBe(42);
      expect(await script(client, [], [5])).toBe(10);
    } finally {
      await closeRedis(client);
    }
  });

  it.runIf(testRedisUrl)('connects lazily on first command when asked', async () => {
    const client = createRedis(testRedisUrl!, { lazy: true });
    expect(client.status).toBe('wait');
    expect(await client.ping()).toBe('PONG');
    await closeRedis(client);
  });
});
