import { afterEach, describe, expect, it } from 'vitest';
import { freezeClock } from '../../../testing/clock.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PubSub, SequencedMessage } from './contract.js';
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

  describe('append and history', () => {
    const retain = { count: 3, maxAgeMs: 60_000 };
    const n = (id: string) => Number(id.split('-')[1]);

    it('numbers a stream\'s messages and every subscriber on every replica gets them in order, even when replicas append at once', async () => {
      const [a, b] = buses(2);
      const got: Record<string, SequencedMessage[]> = { a: [], b: [] };
      await a.subscribe('rt', (m) => void got.a!.push(m as SequencedMessage));
      await b.subscribe('rt', (m) => void got.b!.push(m as SequencedMessage));
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).append('rt', 's1', { i }, retain)));
      await a.append('rt', 's2', 'other stream', retain);
      await waitFor(() => got.a!.length === 21 && got.b!.length === 21);
      await settle();
      expect(ids.map((x) => n(x.id)).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      for (const list of [got.a!, got.b!]) {
        const s1 = list.filter((m) => m.stream === 's1');
        expect(s1.map((m) => n(m.id))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(new Set(s1.map((m) => (m.message as { i: number }).i)).size).toBe(20);
        expect(list.find((m) => m.stream === 's2')).toMatchObject({ message: 'other stream' });
        expect(n(list.find((m) => m.stream === 's2')!.id)).toBe(1);
      }
      const byId = new Map(ids.map((x) => [x.id, x.at]));
      for (const m of got.a!.filter((x) => x.stream === 's1')) expect(m.at).toBe(byId.get(m.id));
    });

    it('gives what a reader missed after an id, shared by replicas, and says when it cannot', async () => {
      const [a, b] = buses(2);
      const first = await a.append('rt', 'h', 'one', retain);
      const second = await b.append('rt', 'h', { two: 2 }, retain);
      const third = await a.append('rt', 'h', null, retain);
      const h = await b.history('h', first.id, retain);
      expect(h.complete).toBe(true);
      expect(h.entries).toEqual([
        { stream: 'h', id: second.id, at: second.at, message: { two: 2 } },
        { stream: 'h', id: third.id, at: third.at, message: null },
      ]);
      expect(await a.history('h', third.id, retain)).toEqual({ entries: [], complete: true });
      // Trimmed to the last 3: a reader at the first message misses the second for good.
      await b.append('rt', 'h', 'four', retain);
      await a.append('rt', 'h', 'five', retain);
      const trimmed = await a.history('h', first.id, retain);
      expect(trimmed.complete).toBe(false);
      expect(trimmed.entries.map((e) => e.message)).toEqual([null, 'four', 'five']);
      expect((await a.history('h', second.id, retain)).complete).toBe(true);
      // An id never issued (from the future, or of another generation), and an unknown stream.
      const [gen] = first.id.split('-');
      expect((await a.history('h', `${gen}-99`, retain)).complete).toBe(false);
      expect((await a.history('h', `1-1`, retain)).complete).toBe(false);
      expect(await a.history('never', first.id, retain)).toEqual({ entries: [], complete: false });
      await expect(a.history('h', 'nonsense', retain)).rejects.toThrow(RangeError);
    });

    it('drops entries older than maxAgeMs from what it gives back', async () => {
      const [a] = buses(1);
      const clock = freezeClock();
      try {
        const one = await a.append('rt', 'aged', 1, retain);
        clock.advance(40_000);
        await a.append('rt', 'aged', 2, retain);
        expect((await a.history('aged', one.id, retain)).entries.map((e) => e.message)).toEqual([2]);
        clock.advance(30_000);
        // The second message is now 30 s old and the first 70 s: a reader of the first message missed one too old to give.
        const late = await a.history('aged', `${one.id.split('-')[0]}-0`, retain);
        expect(late.entries.map((e) => e.message)).toEqual([2]);
        expect(late.complete).toBe(false);
        expect((await a.history('aged', one.id, retain)).complete).toBe(true);
      } finally {
        clock.restore();
      }
    });

    it('keeps counting with count 0 (no history) and refuses bad retention', async () => {
      const [a] = buses(1);
      const none = { count: 0, maxAgeMs: 1000 };
      const one = await a.append('rt', 'bare', 'x', none);
      const two = await a.append('rt', 'bare', 'y', none);
      expect(n(two.id)).toBe(n(one.id) + 1);
      expect(await a.history('bare', one.id, none)).toEqual({ entries: [], complete: false });
      expect(await a.history('bare', two.id, none)).toEqual({ entries: [], complete: true });
      await expect(a.append('rt', 'bare', 'z', { count: -1, maxAgeMs: 1 })).rejects.toThrow(RangeError);
      await expect(a.append('rt', 'bare', undefined, none)).rejects.toThrow(TypeError);
    });
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
