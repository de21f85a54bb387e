import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { alpha, beta, hooks } from './test-modules.fixture.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { recordEvents } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { TransactionMisuseError, TransactionTimeoutError } from '../db/tx-guard.js';
import { waitFor } from '../../testing/wait.js';

/** Another replica in its own process (replica.fixture.ts), sharing the test app's database and Redis. */
// A child replica starts through tsx: on a loaded 2-core CI machine that alone can take most of
// the default 30 s, so tests with a child process get a wider bound (still a bound, never a sleep).
const CHILD_PROCESS_TIMEOUT = 90_000;

function spawnReplica(t: TestApp, mode: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./replica.fixture.ts', import.meta.url))], {
    env: { ...process.env, OUTBOX_MODE: mode, OUTBOX_RAW: JSON.stringify(t.raw), OUTBOX_DB_SCHEMA: t.schema ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.on('exit', r));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return {
    output: () => out,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const fast = { events: { recoveryDelayMs: 50, backoffMs: 20, leaseMs: 2000, relayIntervalMs: 50 }, jobs: { pollIntervalMs: 20 } };

describe.each(targets)('outbox on $name', (target) => {
  const apps: TestApp[] = [];
  const start = async (opts: { workers?: boolean; replicaOf?: TestApp; config?: Record<string, unknown> } = {}) => {
    const t = await createTestApp({ target, modules: [alpha, beta], workers: opts.workers, replicaOf: opts.replicaOf, config: { ...fast, ...opts.config } });
    apps.push(t);
    return t;
  };
  const effects = (t: TestApp, handler?: string) =>
    t.ctx.db
      .selectFrom('test_effects')
      .selectAll()
      .$if(!!handler, (q) => q.where('handler', '=', handler!))
      .orderBy('at')
      .execute() as Promise<Array<{ handler: string; event_id: string; n: number }>>;

  afterEach(async () => {
    for (const t of apps.splice(0).reverse()) await t.close();
    Object.assign(hooks, { failFirst: 0, calls: 0, metas: [] });
  });

  it('delivers a committed event to every handler with a stable id, and nothing of a rolled-back one', async () => {
    const t = await start();
    const events = recordEvents(t);
    let eventId = '';
    const after: string[] = [];
    await t.ctx.tx(async (trx) => {
      await trx.insertInto('test_items').values({ id: 'a' }).execute();
      eventId = trx.emit('test.happened', { n: 1, userId: 'u1' });
      trx.afterCommit(() => void after.push('committed'));
    });
    await expect(
      t.ctx.tx(async (trx) => {
        trx.emit('test.happened', { n: 2 });
        trx.afterCommit(() => void after.push('never'));
        trx.enqueue('alpha.record', { n: 2 });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(after).toEqual(['committed']);
    expect(events.names()).toEqual(['test.happened']);
    expect(events.all()[0]).toMatchObject({ id: eventId, payload: { n: 1, userId: 'u1' }, key: 'u1' });
    await events.settled();
    expect((await effects(t)).map((e) => [e.handler, e.event_id]).sort()).toEqual([
      ['alpha', eventId],
      ['beta', eventId],
    ]);
    expect(hooks.metas).toEqual([{ eventId, occurredAt: events.all()[0].occurredAt, key: 'u1' }]);
    // Nothing of the rolled-back transaction exists: no outbox row, no job.
    expect((await t.ctx.outbox.store.unrelayed(0, 10)).length).toBe(0);
    expect((await t.ctx.queue.list({ limit: 100 })).data.filter((j) => j.name === 'alpha.record')).toEqual([]);
  });

  it('a job enqueued in a transaction exists only if it committed, and runs', async () => {
    const t = await start({ workers: true });
    const id = await t.ctx.tx(async (trx) => trx.enqueue('alpha.record', { n: 7 }));
    await waitFor(async () => (await t.ctx.queue.get(id))?.state === 'completed', 'the job');
    expect((await effects(t, 'job')).map((e) => e.n)).toEqual([7]);
  });

  it('a handler that throws twice then succeeds runs its effect once', async () => {
    hooks.failFirst = 2;
    const t = await start({ workers: true });
    const eventId = await t.ctx.tx(async (trx) => trx.emit('test.happened', { n: 3 }));
    await waitFor(async () => (await effects(t, 'alpha')).length > 0, 'alpha after retries');
    await t.ctx.outbox.settled();
    expect(hooks.calls).toBe(3);
    expect(new Set(hooks.metas.map((m) => m.eventId))).toEqual(new Set([eventId]));
    expect((await effects(t)).map((e) => e.handler).sort()).toEqual(['alpha', 'beta']);
    // The delivery job found the work done or did it: either way it completed.
    await waitFor(async () => (await t.ctx.queue.get(`${eventId}:alpha`))?.state === 'completed', 'the delivery job');
  });

  it('a handler that keeps failing ends dead, and a retry delivers it', async () => {
    hooks.failFirst = 1000;
    const t = await start({ workers: true, config: { ...fast, events: { ...fast.events, attempts: 2 } } });
    const eventId = await t.ctx.tx(async (trx) => trx.emit('test.happened', { n: 4 }));
    const job = `${eventId}:alpha`;
    await waitFor(async () => (await t.ctx.queue.get(job))?.state === 'dead', 'the dead delivery');
    expect((await t.ctx.queue.list({ state: 'dead' })).data.map((j) => [j.id, j.name])).toEqual([[job, 'alpha.on.test.happened']]);
    hooks.failFirst = 0;
    expect(await t.ctx.queue.retry(job)).toBe(true);
    await waitFor(async () => (await effects(t, 'alpha')).length === 1, 'the retried delivery');
    expect((await effects(t, 'beta')).length).toBe(1);
  });

  it('delivers the events of one key in commit order, even when one of them fails first', async () => {
    hooks.failFirst = 1; // the first run (event 0) fails: every later event of the key waits for it
    const t = await start({ workers: true });
    for (let n = 0; n < 8; n++) await t.ctx.tx(async (trx) => void trx.emit('test.happened', { n }, { key: 'same-user' }));
    await waitFor(async () => (await effects(t, 'alpha')).length === 8, 'all eight');
    expect((await effects(t, 'alpha')).map((e) => e.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await effects(t, 'beta')).map((e) => e.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('two replicas (two processes) never both run one handler for one event', async () => {
    const a = await start({ workers: true });
    const b = spawnReplica(a, 'serve', { OUTBOX_EMIT: '15' });
    try {
      await Promise.all(Array.from({ length: 15 }, (_, n) => a.ctx.tx(async (trx) => void trx.emit('test.happened', { n }, { key: `k${n % 3}` }))));
      await waitFor(() => b.output().includes('emitted'), 'the other replica to emit', CHILD_PROCESS_TIMEOUT - 30_000);
      // Every delivery job (60: 30 events x 2 handlers) has completed somewhere: nothing can run again.
      await waitFor(async () => {
        const c = await a.ctx.queue.counts();
        return c.completed === 60 && c.waiting + c.delayed + c.active === 0;
      }, 'all delivery jobs');
    } finally {
      await b.kill();
    }
    await a.ctx.outbox.settled();
    const rows = await effects(a);
    expect(rows.length).toBe(60);
    expect(new Set(rows.map((r) => `${r.event_id}:${r.handler}`)).size).toBe(60);
    expect(new Set(rows.map((r) => r.n)).size).toBe(30);
  }, CHILD_PROCESS_TIMEOUT);

  it('a process killed after commit, before delivery: a restart delivers the event and runs the job', async () => {
    const t = await start();
    const child = spawnReplica(t, 'after-commit');
    let line = '';
    try {
      line = await waitFor(() => /committed (\S+) (\S+)/.exec(child.output())?.[0], 'the commit', CHILD_PROCESS_TIMEOUT - 30_000);
    } finally {
      await child.kill();
    }
    const [, eventId, jobId] = line.split(' ');
    expect(await effects(t)).toEqual([]);
    const restarted = await start({ workers: true, replicaOf: t });
    await waitFor(async () => (await effects(restarted)).length === 3, 'the missing consequences');
    await waitFor(async () => (await restarted.ctx.queue.get(jobId))?.state === 'completed', 'the job');
    const rows = await effects(restarted);
    expect(rows.map((r) => [r.handler, r.event_id]).sort()).toEqual([
      ['alpha', eventId],
      ['beta', eventId],
      ['job', '-'],
    ]);
  }, CHILD_PROCESS_TIMEOUT);

  it('a process killed in the middle of a delivery: the restart runs exactly the handler that had not finished', async () => {
    const t = await start();
    const child = spawnReplica(t, 'in-handler', { OUTBOX_HANG: 'beta' });
    let eventId = '';
    try {
      eventId = (await waitFor(() => /hang (\S+)/.exec(child.output())?.[1], 'beta to hang', CHILD_PROCESS_TIMEOUT - 30_000))!;
      // Killed only once alpha's delivery is recorded as finished in its outbox row: its effect row
      // alone is not enough (the handler returned, but the finished mark is a later statement, and a
      // kill between the two rightly runs alpha again: delivery is at-least-once).
      await waitFor(async () => (await t.ctx.outbox.store.get(`${eventId}:alpha`))?.finished_at != null, 'alpha recorded as finished');
      expect((await effects(t, 'alpha')).length).toBe(1);
    } finally {
      await child.kill();
    }
    const restarted = await start({ workers: true, replicaOf: t });
    // beta runs once its dead owner's lease has run out; alpha is not run again.
    await waitFor(async () => (await effects(restarted, 'beta')).length === 1, 'beta after the restart');
    await waitFor(async () => (await restarted.ctx.queue.get(`${eventId}:beta`))?.state === 'completed', 'the beta delivery job');
    await waitFor(async () => (await restarted.ctx.queue.get(`${eventId}:alpha`))?.state === 'completed', 'the alpha delivery job');
    expect((await effects(restarted)).map((r) => [r.handler, r.event_id]).sort()).toEqual([
      ['alpha', eventId],
      ['beta', eventId],
    ]);
  }, CHILD_PROCESS_TIMEOUT);

  describe('misuse is an error, never a hang', () => {
    it('ctx.db inside ctx.tx throws a clear error, and the database stays usable', async () => {
      const t = await start();
      const err = await t.ctx
        .tx(async () => {
          await t.ctx.db.selectFrom('test_items').selectAll().execute();
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransactionMisuseError);
      expect((err as Error).message).toContain('Use the transaction handle');
      await t.ctx.db.insertInto('test_items').values({ id: 'after' }).execute();
      expect((await t.ctx.db.selectFrom('test_items').selectAll().execute()).map((r) => r.id)).toEqual(['after']);
    });

    it('a nested ctx.tx and ctx.enqueue join the open transaction (and roll back with it)', async () => {
      const t = await start();
      const events = recordEvents(t);
      let jobId = '';
      await expect(
        t.ctx.tx(async (trx) => {
          await trx.insertInto('test_items').values({ id: 'outer' }).execute();
          await t.ctx.tx(async (inner) => {
            expect(inner).toBe(trx);
            await inner.insertInto('test_items').values({ id: 'inner' }).execute();
            inner.emit('test.happened', { n: 9 });
          });
          jobId = await t.ctx.enqueue('alpha.record', { n: 9 });
          const seen = await trx.selectFrom('test_items').select('id').orderBy('id').execute();
          expect(seen.map((r) => r.id)).toEqual(['inner', 'outer']);
          throw new Error('undo all');
        }),
      ).rejects.toThrow('undo all');
      expect(await t.ctx.db.selectFrom('test_items').selectAll().execute()).toEqual([]);
      expect(await t.ctx.queue.get(jobId)).toBeNull();
      expect(events.names()).toEqual([]);

      await t.ctx.tx(async () => {
        jobId = await t.ctx.enqueue('alpha.record', { n: 10 });
      });
      expect((await t.ctx.queue.get(jobId))?.name).toBe('alpha.record');
    });

    it('a transaction that never finishes is rolled back after the timeout and frees the database', async () => {
      const t = await start({ config: { ...fast, database: { transactionTimeoutMs: 300 } } });
      const stuck = t.ctx.tx(async (trx) => {
        await trx.insertInto('test_items').values({ id: 'stuck' }).execute();
        await new Promise(() => {}); // awaits something that never comes
      });
      await expect(stuck).rejects.toBeInstanceOf(TransactionTimeoutError);
      await t.ctx.tx(async (trx) => void (await trx.insertInto('test_items').values({ id: 'next' }).execute()));
      expect((await t.ctx.db.selectFrom('test_items').selectAll().execute()).map((r) => r.id)).toEqual(['next']);
    });
  });
});
