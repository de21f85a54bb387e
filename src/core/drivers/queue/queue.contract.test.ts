import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/database.js';
import { closeRedis, createRedis } from '../redis-connection.js';
import { isolatedDatabase, targets, uniquePrefix, type IsolatedDatabase } from '../../../testing/targets.js';
import type { JobContext, Queue } from './contract.js';
import { createQueue, queueMigrations, SqlQueue } from './index.js';
import type { QueueMetrics } from './shared.js';
import { waitFor } from '../../../testing/wait.js';

/** One contract, three shapes: SQL on SQLite, SQL on PostgreSQL, BullMQ on Redis. */
const variants = targets.flatMap((t) => [
  { label: `sql on ${t.name}`, target: t, redisUrl: null as string | null },
  ...(t.redisUrl ? [{ label: 'bullmq on redis', target: t, redisUrl: t.redisUrl }] : []),
]);

const VT = 1000;

function recordingMetrics() {
  const calls: string[] = [];
  const hook: QueueMetrics = {
    onCompleted: (n) => calls.push(`completed:${n}`),
    onFailed: (n) => calls.push(`failed:${n}`),
    onDead: (n) => calls.push(`dead:${n}`),
  };
  return { calls, hook };
}

describe.each(variants)('queue contract: $label', ({ target, redisUrl }) => {
  let iso: IsolatedDatabase;
  let prefix: string;
  let databases: Database[];
  let queues: Queue[];

  /** A new replica: its own database connection (or Redis connections), same store. */
  function replica(opts: { concurrency?: number; metrics?: QueueMetrics } = {}): Queue {
    const database = createDatabase({ url: iso.url, schema: iso.schema, poolSize: 4 });
    databases.push(database);
    const q = createQueue({ database, redisUrl, prefix, concurrency: opts.concurrency ?? 2, pollIntervalMs: 50, visibilityTimeoutMs: VT, metrics: opts.metrics });
    queues.push(q);
    return q;
  }

  beforeEach(async () => {
    iso = await isolatedDatabase(target);
    prefix = uniquePrefix();
    databases = [];
    queues = [];
    if (!redisUrl) {
      const database = createDatabase({ url: iso.url, schema: iso.schema });
      for (const m of Object.values(queueMigrations)) await m.up(database.db);
      await database.destroy();
    }
  });

  afterEach(async () => {
    for (const q of queues) await q.close();
    for (const d of databases) await d.destroy();
    if (redisUrl) {
      const r = createRedis(redisUrl);
      const keys = await r.keys(`${prefix.replace(/:+$/, '')}:*`);
      if (keys.length) await r.del(...keys);
      await closeRedis(r);
    }
    await iso.cleanup();
  });

  it('processes a job and round-trips its payload', async () => {
    const { calls, hook } = recordingMetrics();
    const q = replica({ metrics: hook });
    const seen: { payload: unknown; ctx: JobContext }[] = [];
    q.register('mail.send', async (payload, ctx) => void seen.push({ payload, ctx }));
    await q.start();
    const payload = { to: 'ana@example.com', n: 1.5, tags: ['a', 'ñ'], nested: { ok: true, none: null } };
    const id = await q.enqueue('mail.send', payload);
    await waitFor(async () => (await q.get(id))?.state === 'completed', 'completion');
    expect(seen).toEqual([{ payload, ctx: { id, name: 'mail.send', attempt: 1 } }]);
    const rec = await q.get(id);
    expect(rec).toMatchObject({ id, name: 'mail.send', payload, state: 'completed', attempts: 1, lastError: null });
    await waitFor(() => calls.length > 0, 'metrics');
    expect(calls).toEqual(['completed:mail.send']);
    await q.ping();
    expect(await q.get('no-such-job')).toBeNull();
  });

  it('does not run a delayed job before its time', async () => {
    const q = replica();
    const ran: { name: string; at: number }[] = [];
    q.register('later', async () => void ran.push({ name: 'later', at: Date.now() }));
    q.register('now', async () => void ran.push({ name: 'now', at: Date.now() }));
    await q.start();
    const later = await q.enqueue('later', null, { delayMs: 1500 });
    expect((await q.get(later))?.state).toBe('delayed');
    await q.enqueue('now', null);
    await waitFor(() => ran.length === 2, 'both jobs');
    expect(ran.map((r) => r.name)).toEqual(['now', 'later']);
    const rec = (await q.get(later))!;
    expect(ran[1].at).toBeGreaterThanOrEqual(Date.parse(rec.runAt));
  });

  it('retries with backoff, then succeeds', async () => {
    const { calls, hook } = recordingMetrics();
    const q = replica({ metrics: hook });
    const attempts: number[] = [];
    q.register('flaky', async (_p, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error(`fail ${ctx.attempt}`);
    });
    await q.start();
    const id = await q.enqueue('flaky', {}, { attempts: 3, backoffMs: 20 });
    await waitFor(async () => (await q.get(id))?.state === 'completed', 'completion');
    expect(attempts).toEqual([1, 2, 3]);
    expect((await q.get(id))?.attempts).toBe(3);
    await waitFor(() => calls.includes('completed:flaky'), 'metrics');
    expect(calls).toEqual(['failed:flaky', 'failed:flaky', 'completed:flaky']);
  });

  it('moves a job to dead after its last attempt, and retry() brings it back', async () => {
    const { calls, hook } = recordingMetrics();
    const q = replica({ metrics: hook });
    let healthy = false;
    let runs = 0;
    q.register('fragile', async () => {
      runs++;
      if (!healthy) throw new Error('boom: upstream down');
    });
    await q.start();
    const id = await q.enqueue('fragile', { a: 1 }, { attempts: 2, backoffMs: 10 });
    const dead = await waitFor(async () => {
      const r = await q.get(id);
      return r?.state === 'dead' ? r : null;
    }, 'dead state');
    expect(dead.lastError).toContain('boom: upstream down');
    expect(dead.maxAttempts).toBe(2);
    expect(runs).toBe(2);
    expect((await q.counts()).dead).toBe(1);
    expect((await q.list({ state: 'dead' })).data.map((j) => j.id)).toEqual([id]);
    await waitFor(() => calls.includes('dead:fragile'), 'metrics');
    expect(calls).toEqual(['failed:fragile', 'failed:fragile', 'dead:fragile']);

    healthy = true;
    expect(await q.retry(id)).toBe(true);
    await waitFor(async () => (await q.get(id))?.state === 'completed', 'completion after retry');
    expect(runs).toBe(3);
    expect(await q.retry(id)).toBe(false); // not dead any more
    expect(await q.retry('no-such-job')).toBe(false);
  });

  it('dedupes by jobId, whatever characters it holds', async () => {
    const q = replica();
    const ran: unknown[] = [];
    q.register('order.paid', async (p) => void ran.push(p));
    for (const jobId of ['order:42', '42', '50%:off']) {
      expect(await q.enqueue('order.paid', { v: 1, jobId }, { jobId })).toBe(jobId);
      expect(await q.enqueue('order.paid', { v: 2, jobId }, { jobId })).toBe(jobId);
      expect((await q.get(jobId))?.payload).toEqual({ v: 1, jobId });
    }
    expect((await q.counts()).waiting).toBe(3);
    await q.start();
    await waitFor(async () => (await q.counts()).completed === 3, 'completion');
    expect(ran).toHaveLength(3);
    expect((await q.list()).data.map((j) => j.id).sort()).toEqual(['42', '50%:off', 'order:42']);
  });

  it("redoes a crashed worker's job once its visibility timeout passes", async () => {
    const q = replica();
    const attempts: number[] = [];
    q.register('crash.job', async (_p, ctx) => void attempts.push(ctx.attempt));
    const id = await q.enqueue('crash.job', { x: 1 });

    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./crash-worker.fixture.ts', import.meta.url))], {
      env: { ...process.env, QUEUE_DB_URL: iso.url, QUEUE_DB_SCHEMA: iso.schema ?? '', QUEUE_REDIS_URL: redisUrl ?? '', QUEUE_PREFIX: prefix, QUEUE_VT: String(VT) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => child.on('exit', r));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('started'), 'the child worker to take the job');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(out.trim()).toBe(`started ${id} 1`);
    expect((await q.get(id))?.state).toBe('active');

    await q.start();
    await waitFor(async () => (await q.get(id))?.state === 'completed', 'redelivery');
    expect(attempts).toEqual([2]);
  });

  it('two replicas process each of 50 jobs exactly once', async () => {
    const a = replica({ concurrency: 4 });
    const b = replica({ concurrency: 4 });
    const runs = new Map<string, number>();
    const handler = async (_p: unknown, ctx: JobContext) => {
      runs.set(ctx.id, (runs.get(ctx.id) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 5));
    };
    a.register('work', handler);
    b.register('work', handler);
    await a.start();
    await b.start();
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(await (i % 2 ? a : b).enqueue('work', { i }));
    await waitFor(async () => (await a.counts()).completed === 50, 'all 50 completed');
    expect(runs.size).toBe(50);
    expect([...runs.keys()].every((id) => ids.has(id))).toBe(true);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });

  it('lists newest first with an opaque cursor, filters by state, and counts', async () => {
    const q = replica();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await q.enqueue('report', { i }));
    const delayed = await q.enqueue('report', { i: 'later' }, { delayMs: 60_000 });

    const seen: string[] = [];
    let cursor: string | undefined;
    const sizes: number[] = [];
    do {
      const page = await q.list({ state: 'waiting', limit: 3, cursor });
      sizes.push(page.data.length);
      for (const j of page.data) expect(j.state).toBe('waiting');
      const created = page.data.map((j) => Date.parse(j.createdAt));
      expect([...created].sort((x, y) => y - x)).toEqual(created);
      seen.push(...page.data.map((j) => j.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect([...seen].sort()).toEqual([...ids].sort());

    const all = await q.list({ limit: 100 });
    expect(all.nextCursor).toBeNull();
    expect(all.data).toHaveLength(8);
    expect((await q.list({ state: 'delayed' })).data.map((j) => j.id)).toEqual([delayed]);
    expect((await q.list({ state: 'completed' })).data).toEqual([]);
    expect(await q.counts()).toEqual({ waiting: 7, delayed: 1, active: 0, completed: 0, dead: 0 });

    for (const bad of ['not a cursor!', Buffer.from('{"x":1}').toString('base64url'), Buffer.from('[1]').toString('base64url')]) {
      await expect(q.list({ cursor: bad })).rejects.toMatchObject({ code: 'invalid_cursor' });
    }
  });

  it('removes a job that is not running, so it never runs; refuses an active one', async () => {
    const q = replica();
    const ran: unknown[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    q.register('reminder', async (p) => void ran.push(p));
    q.register('busy', async () => {
      started = true;
      await gate;
    });
    const waiting = await q.enqueue('reminder', { n: 'waiting' });
    const delayed = await q.enqueue('reminder', { n: 'delayed' }, { delayMs: 3_600_000 });
    expect(await q.remove(waiting)).toBe(true);
    expect(await q.remove(delayed)).toBe(true);
    expect(await q.get(waiting)).toBeNull();
    expect(await q.remove(waiting)).toBe(false);
    expect(await q.remove('no-such-job')).toBe(false);

    await q.start();
    const active = await q.enqueue('busy', null);
    await waitFor(() => started, 'the busy handler to start');
    expect(await q.remove(active)).toBe(false);
    expect((await q.get(active))?.state).toBe('active');
    release();
    await waitFor(async () => (await q.get(active))?.state === 'completed', 'completion');
    const marker = await q.enqueue('reminder', { n: 'marker' });
    await waitFor(async () => (await q.get(marker))?.state === 'completed', 'the marker job');
    expect(ran).toEqual([{ n: 'marker' }]);
    // Finished jobs may be removed too.
    expect(await q.remove(active)).toBe(true);
    expect(await q.counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
  });

  it('reschedules a waiting or delayed job by id, keeping its payload and attempts', async () => {
    const q = replica();
    const ran: string[] = [];
    q.register('remind', async (p: { n: string }) => void ran.push(p.n));
    const hour = 3_600_000;
    const runAt = new Date(Date.now() + 2 * hour);
    // Waiting -> later.
    const a = await q.enqueue('remind', { n: 'a' }, { attempts: 3 });
    expect(await q.reschedule(a, { runAt })).toBe(true);
    expect(await q.get(a)).toMatchObject({ id: a, state: 'delayed', payload: { n: 'a' }, maxAttempts: 3, runAt: runAt.toISOString() });
    // Delayed -> later (ISO string), then -> sooner.
    const b = await q.enqueue('remind', { n: 'b' }, { delayMs: hour });
    const asked = Date.now();
    expect(await q.reschedule(b, { runAt: runAt.toISOString() })).toBe(true);
    // BullMQ's changeDelay counts the delay from its own clock reading, a moment after ours:
    // the job may be due a few ms later than asked, never earlier.
    const due = Date.parse((await q.get(b))!.runAt);
    expect(due).toBeGreaterThanOrEqual(runAt.getTime());
    expect(due).toBeLessThanOrEqual(runAt.getTime() + (Date.now() - asked));
    const before = Date.now();
    expect(await q.reschedule(b, { delayMs: 5 * hour })).toBe(true);
    const rescheduled = Date.parse((await q.get(b))!.runAt);
    expect(rescheduled).toBeGreaterThanOrEqual(before + 5 * hour);
    expect(rescheduled).toBeLessThanOrEqual(Date.now() + 5 * hour);
    expect(await q.counts()).toMatchObject({ waiting: 0, delayed: 2 });
    // Delayed -> now: it runs.
    await q.start();
    expect(await q.reschedule(b, { delayMs: 0 })).toBe(true);
    await waitFor(async () => (await q.get(b))?.state === 'completed', 'the rescheduled job');
    expect(ran).toEqual(['b']);
    // Finished, unknown, bad arguments.
    expect(await q.reschedule(b, { delayMs: 0 })).toBe(false);
    expect(await q.reschedule('no-such-job', { delayMs: 0 })).toBe(false);
    for (const bad of [{}, { delayMs: 1, runAt }, { delayMs: -1 }, { runAt: 'not a date' }]) {
      await expect(q.reschedule(a, bad)).rejects.toThrow(TypeError);
    }
    expect((await q.get(a))?.state).toBe('delayed');
  });

  it('stop() waits for running handlers', async () => {
    const q = replica();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    let finished = false;
    q.register('slow', async () => {
      started = true;
      await gate;
      finished = true;
    });
    await q.start();
    const id = await q.enqueue('slow', null);
    await waitFor(() => started, 'handler start');
    let stopped = false;
    const stopping = q.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    expect((await q.get(id))?.state).toBe('completed');
  });
});

// No timings: the worker's poll interval is ten minutes, so only the NOTIFY can wake it in time.
describe.each(targets.filter((t) => t.name === 'postgres'))('sql queue on PostgreSQL: LISTEN/NOTIFY', (target) => {
  it('an idle worker wakes on jobs committed by another process, and not on a rolled-back one', async () => {
    const iso = await isolatedDatabase(target);
    const workerDb = createDatabase({ url: iso.url, schema: iso.schema });
    const otherDb = createDatabase({ url: iso.url, schema: iso.schema });
    try {
      for (const m of Object.values(queueMigrations)) await m.up(workerDb.db);
      const worker = new SqlQueue({ database: workerDb, pollIntervalMs: 600_000 });
      const other = new SqlQueue({ database: otherDb });
      const ran: string[] = [];
      worker.register('ping', async (p: { n: string }) => void ran.push(p.n));
      await worker.start();
      // The first sweep and claim happen at start; from here the worker sleeps.
      await waitFor(async () => (await worker.counts()).waiting === 0, 'idle worker');
      await other.enqueue('ping', { n: 'direct' });
      await waitFor(() => ran.includes('direct'), 'the job enqueued by another queue', 10_000);
      await otherDb.tx(async (trx) => void (await other.enqueueIn(trx, [{ name: 'ping', payload: { n: 'in-tx' } }])));
      await waitFor(() => ran.includes('in-tx'), 'the job committed by another transaction', 10_000);
      await expect(otherDb.tx(async (trx) => {
        await other.enqueueIn(trx, [{ name: 'ping', payload: { n: 'rolled-back' } }]);
        throw new Error('roll back');
      })).rejects.toThrow('roll back');
      await worker.close();
      expect(ran.sort()).toEqual(['direct', 'in-tx']);
      expect((await worker.counts()).waiting).toBe(0);
    } finally {
      await workerDb.destroy();
      await otherDb.destroy();
      await iso.cleanup();
    }
  });
});
