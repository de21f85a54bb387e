import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PubSub } from './contract.js';
import type { PubSubOptions } from './shared.js';
import { MemoryPubSub } from './memory.js';
import { RedisPubSub } from './redis.js';
import { testRedisUrl, uniquePrefix } from '../../../testing/targets.js';
import { closeRedis, createRedis } from '../redis-connection.js';

interface Impl {
  name: string;
  /** Embedded: one process is one replica (same instance). Redis: separate instances sharing a prefix. */
  replicas(n: number, opts?: PubSubOptions): PubSub[];
}

const impls: Impl[] = [
  {
    name: 'memory',
    replicas: (n, opts) => {
      const one = new MemoryPubSub(opts);
      return Array.from({ length: n }, () => one);
    },
  },
  ...(testRedisUrl
    ? [
        {
          name: 'redis',
          replicas: (n: number, opts?: PubSubOptions) => {
            const prefix = uniquePrefix();
            return Array.from({ length: n }, () => new RedisPubSub({ url: testRedisUrl!, prefix, ...opts }));
          },
        },
      ]
    : []),
];

if (!testRedisUrl) describe.skip('pubsub contract on redis: NEPTUNO_TEST_REDIS_URL not set', () => it('not run'));

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** Gives a wrongly duplicated delivery the chance to show up before counts are asserted. */
const settle = () => sleep(100);

describe.each(impls)('pubsub contract on $name', (impl) => {
  let open: PubSub[] = [];
  const buses = (n: number, opts?: PubSubOptions) => {
    const bs = impl.replicas(n, opts);
    open.push(...bs);
    return bs;
  };
  afterEach(async () => {
    await Promise.all([...new Set(open)].map((b) => b.close()));
    open = [];
  });

  it('delivers each message exactly once to every subscriber on every replica', async () => {
    const [a, b] = buses(2);
    const got: Record<string, number[]> = { a1: [], a2: [], b1: [] };
    await a.subscribe('room', (m) => void got.a1.push(m as number));
    await a.subscribe('room', (m) => void got.a2.push(m as number));
    await b.subscribe('room', async (m) => void got.b1.push(m as number));
    for (let i = 0; i < 5; i++) await (i % 2 ? a : b).publish('room', i);
    await waitFor(() => Object.values(got).every((list) => list.length >= 5));
    await settle();
    for (const list of Object.values(got)) expect([...list].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('is ready as soon as subscribe resolves: a message published right after arrives', async () => {
    const [a, b] = buses(2);
    const got: unknown[] = [];
    await b.subscribe('ready', (m) => void got.push(m));
    await a.publish('ready', 'first');
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['first']);
  });

  it('round-trips messages as JSON', async () => {
    const [a, b] = buses(2);
    const got: unknown[] = [];
    await b.subscribe('json', (m) => void got.push(m));
    const when = new Date('2030-01-02T03:04:05.000Z');
    await a.publish('json', { text: 'hola ñ', n: 1.5, list: [1, null, 'x'], nested: { ok: false }, when });
    await a.publish('json', null);
    await waitFor(() => got.length === 2);
    expect(got[0]).toEqual({ text: 'hola ñ', n: 1.5, list: [1, null, 'x'], nested: { ok: false }, when: when.toISOString() });
    expect(got[1]).toBeNull();
    await expect(a.publish('json', undefined)).rejects.toThrow(TypeError);
  });

  it('keeps channels apart', async () => {
    const [a, b] = buses(2);
    const got: unknown[] = [];
    await b.subscribe('one', (m) => void got.push(['one', m]));
    await b.subscribe('two', (m) => void got.push(['two', m]));
    await a.publish('two', 2);
    await waitFor(() => got.length === 1);
    await settle();
    expect(got).toEqual([['two', 2]]);
  });

  it('unsubscribe stops delivery to that handler only', async () => {
    const [a, b] = buses(2);
    const kept: unknown[] = [];
    const dropped: unknown[] = [];
    await b.subscribe('ch', (m) => void kept.push(m));
    const off = await b.subscribe('ch', (m) => void dropped.push(m));
    await a.publish('ch', 1);
    await waitFor(() => kept.length === 1 && dropped.length === 1);
    await off();
    await off(); // idempotent
    await a.publish('ch', 2);
    await waitFor(() => kept.length === 2);
    await settle();
    expect(kept).toEqual([1, 2]);
    expect(dropped).toEqual([1]);
  });

  it('stops and resumes delivery when the last handler leaves and a new one joins', async () => {
    const [a, b] = buses(2);
    const first: unknown[] = [];
    const second: unknown[] = [];
    const off = await b.subscribe('ch', (m) => void first.push(m));
    await off();
    await a.publish('ch', 'nobody');
    await b.subscribe('ch', (m) => void second.push(m));
    await a.publish('ch', 'hello');
    await waitFor(() => second.length === 1);
    await settle();
    expect(first).toEqual([]);
    expect(second).toEqual(['hello']);
  });

  it('a failing handler does not stop the others, and its error is reported', async () => {
    const errors: unknown[] = [];
    const [a, b] = buses(2, { onError: (err) => void errors.push(err) });
    const got: unknown[] = [];
    await b.subscribe('ch', () => {
      throw new Error('sync boom');
    });
    await b.subscribe('ch', async () => {
      throw new Error('async boom');
    });
    await b.subscribe('ch', (m) => void got.push(m));
    await a.publish('ch', 1);
    await a.publish('ch', 2);
    await waitFor(() => got.length === 2 && errors.length === 4);
    expect(got).toEqual([1, 2]);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(['async boom', 'async boom', 'sync boom', 'sync boom']);
  });

  it('gives each handler its own copy of the message', async () => {
    const [a, b] = buses(2);
    const seen: unknown[] = [];
    await b.subscribe('ch', (m) => {
      (m as { n: number }).n = 99;
    });
    await b.subscribe('ch', (m) => void seen.push(m));
    await a.publish('ch', { n: 1 });
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual([{ n: 1 }]);
  });
});

describe.runIf(testRedisUrl)('redis pubsub specifics', () => {
  it('shares one Redis subscription among the local handlers of a channel', async () => {
    const prefix = uniquePrefix();
    const shared = createRedis(testRedisUrl!);
    const a = new RedisPubSub({ client: shared, prefix });
    const b = new RedisPubSub({ url: testRedisUrl!, prefix });
    const numsub = async () => Number(((await shared.pubsub('NUMSUB', `${prefix}ch`)) as [string, number])[1]);
    try {
      const offs = await Promise.all([1, 2, 3].map(() => a.subscribe('ch', () => {})));
      await b.subscribe('ch', () => {});
      expect(await numsub()).toBe(2);
      await offs[0]!();
      await offs[1]!();
      expect(await numsub()).toBe(2);
      await offs[2]!();
      expect(await numsub()).toBe(1);
      await Promise.all([a.close(), b.close()]);
      // close() leaves a client it was given open.
      expect(await shared.ping()).toBe('PONG');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await closeRedis(shared);
    }
  });
});
