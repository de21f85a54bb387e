import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLockManager } from '../lock/memory.js';
import { RedisLockManager } from '../lock/redis.js';
import type { LockManager } from '../lock/contract.js';
import { closeRedis, createRedis } from '../redis-connection.js';
import { targets, uniquePrefix } from '../../../testing/targets.js';
import { CronScheduler } from './scheduler.js';
import type { CronTick } from './contract.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(targets)('cron scheduler across replicas on %s', (target) => {
  const name = target.name;
  let prefix: string;
  let managers: LockManager[];
  let schedulers: CronScheduler[];

  /** Three replicas: one shared in-process lock store, or three Redis clients on one prefix. */
  function replicas(n: number): LockManager[] {
    if (name === 'sqlite') {
      const shared = new MemoryLockManager();
      managers.push(shared);
      return Array.from({ length: n }, () => shared);
    }
    const list = Array.from({ length: n }, () => new RedisLockManager({ url: target.redisUrl!, prefix }));
    managers.push(...list);
    return list;
  }

  beforeEach(() => {
    prefix = uniquePrefix();
    managers = [];
    schedulers = [];
  });

  afterEach(async () => {
    for (const s of schedulers) await s.stop();
    for (const m of managers) await m.close();
    if (target.redisUrl) {
      const r = createRedis(target.redisUrl);
      const keys = await r.keys(`${prefix}*`);
      if (keys.length) await r.del(...keys);
      await closeRedis(r);
    }
  });

  it('runs each tick exactly once in total', async () => {
    const runs = new Map<number, string[]>();
    replicas(3).forEach((locks, i) => {
      const s = new CronScheduler({ locks });
      s.add({
        name: 'every-second',
        schedule: '* * * * * *',
        run: async (tick: CronTick) => {
          const t = tick.scheduledAt.getTime();
          runs.set(t, [...(runs.get(t) ?? []), `${tick.name}@replica-${i}`]);
        },
      });
      schedulers.push(s);
    });
    for (const s of schedulers) s.start();
    await sleep(3_300);
    for (const s of schedulers) await s.stop();

    const ticks = [...runs.keys()].sort((a, b) => a - b);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    for (const t of ticks) {
      expect(t % 1000).toBe(0);
      expect(runs.get(t)).toHaveLength(1);
      expect(runs.get(t)![0]).toMatch(/^every-second@replica-\d$/);
    }
    // No tick in the window was lost either.
    for (let k = 1; k < ticks.length; k++) expect(ticks[k] - ticks[k - 1]).toBe(1000);
  });

  it('logs a failing cron and keeps its schedule', async () => {
    const [locks] = replicas(1);
    const errors: unknown[] = [];
    const log = { debug() {}, info() {}, warn() {}, error: (obj: unknown) => void errors.push(obj) };
    const s = new CronScheduler({ locks, log: log as never });
    schedulers.push(s);
    let calls = 0;
    s.add({
      name: 'broken',
      schedule: '* * * * * *',
      run: async () => {
        calls++;
        throw new Error('cron exploded');
      },
    });
    s.start();
    const deadline = Date.now() + 10_000;
    while (calls < 2 && Date.now() < deadline) await sleep(50);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect((errors[0] as { err: Error }).err.message).toBe('cron exploded');
  });

  it('rejects bad schedules and duplicate names, and stop() waits for a running cron', async () => {
    const [locks] = replicas(1);
    const s = new CronScheduler({ locks });
    schedulers.push(s);
    expect(() => s.add({ name: 'bad', schedule: 'every tuesday', run: async () => {} })).toThrow(/invalid schedule/);
    let finished = false;
    let started = false;
    s.add({
      name: 'slow',
      schedule: '* * * * * *',
      run: async () => {
        started = true;
        await sleep(300);
        finished = true;
      },
    });
    expect(() => s.add({ name: 'slow', schedule: '* * * * *', run: async () => {} })).toThrow(/already added/);
    s.start();
    const deadline = Date.now() + 10_000;
    while (!started && Date.now() < deadline) await sleep(20);
    expect(started).toBe(true);
    await s.stop();
    expect(finished).toBe(true);
  });
});
