/**
 * Job queue throughput: enqueue then drain N no-op jobs and M small-write jobs (one INSERT each)
 * on Neptuno's SQL queue over SQLite and over PostgreSQL, on BullMQ (Redis), and on pg-boss 10
 * on the same PostgreSQL database, in one run, with default settings for every queue.
 *   node bin/run-ts.mjs bench/queue.ts [--noop 100000] [--writes 10000] [--only sqlite,postgres,bullmq,pgboss] [--boss-batch 1000] [--concurrency 5]
 *   BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_REDIS_URL (default redis://127.0.0.1:6379)
 * PostgreSQL work happens in scratch schemas (created and dropped here); Redis under a scratch prefix.
 * Enqueue CPU is this process's user+system CPU per enqueue (50 enqueues in flight), i.e. what
 * an app server pays per job; a second figure is the CPU a one-job trx.enqueue adds to a transaction.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import PgBoss from 'pg-boss';
import { createDatabase, type Database } from '../src/core/db/database.js';
import { BullQueue, SqlQueue, queueMigrations, type Queue } from '../src/core/drivers/queue/index.js';
import { createRedis } from '../src/core/drivers/redis-connection.js';

const { values } = parseArgs({
  options: {
    noop: { type: 'string', default: '100000' },
    writes: { type: 'string', default: '10000' },
    only: { type: 'string', default: 'sqlite,postgres,bullmq,pgboss' },
    'boss-batch': { type: 'string', default: '1000' },
    // The SQL queue's concurrency, which also caps each claim: 5 is the default.
    concurrency: { type: 'string', default: '5' },
  },
});
const N = Number(values.noop);
const M = Number(values.writes);
const only = new Set(values.only.split(','));
const concurrency = Number(values.concurrency);
// pg-boss 10's defaults (batchSize 1, a 2 s pause after every fetch) drain 0.5 jobs/s, so it gets
// big batches and its shortest polling interval instead.
const bossWork = { batchSize: Number(values['boss-batch']), pollingIntervalSeconds: 0.5 };
const pgUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const tag = `bench_queue_${process.pid}`;

interface Figures {
  noopRate: number;
  writeRate: number;
  enqueueUs: number;
  trxEnqueueUs?: number;
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Runs `count` calls of fn with 50 in flight; returns CPU µs per call. */
async function cpuPerCall(count: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = cpuUs();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(50, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
  return (cpuUs() - start) / count;
}

/** Waits until `done()` reports `count`, returning jobs/s from `startedAt`. */
async function drained(count: number, done: () => number, startedAt: number): Promise<number> {
  while (done() < count) await new Promise((r) => setTimeout(r, 5));
  return count / ((performance.now() - startedAt) / 1000);
}

async function migrate(database: Database) {
  for (const m of Object.values(queueMigrations)) await m.up(database.db);
  await sql`create table bench_writes (id integer primary key, job text not null)`.execute(database.db);
}

async function benchNeptuno(makeQueue: () => Queue, writeDb: Database, database?: Database): Promise<Figures> {
  let done = 0;
  const enqueueQ = makeQueue();
  const enqueueUs = await cpuPerCall(N, (i) => enqueueQ.enqueue('noop', { i }));
  await enqueueQ.close();
  let trxEnqueueUs: number | undefined;
  if (database && enqueueQ instanceof SqlQueue) {
    // What one trx.enqueue adds to a request's transaction: a tx with one job minus an empty tx.
    const k = Math.min(N, 5000);
    const bare = await cpuPerCall(k, () => database.tx(async (trx) => sql`select 1`.execute(trx)));
    const withJob = await cpuPerCall(k, () => database.tx(async (trx) => { await sql`select 1`.execute(trx); await enqueueQ.enqueueIn(trx, [{ name: 'other', payload: { k: 1 } }]); }));
    trxEnqueueUs = withJob - bare;
  }
  const worker = makeQueue();
  worker.register('noop', async () => void done++);
  let t = performance.now();
  await worker.start();
  const noopRate = await drained(N, () => done, t);
  await worker.stop();

  let written = 0;
  const writer = makeQueue();
  await cpuPerCall(M, (i) => writer.enqueue('write', { i }));
  writer.register('write', async (p: { i: number }) => {
    await writeDb.db.insertInto('bench_writes').values({ id: p.i, job: 'x' }).onConflict((oc) => oc.column('id').doNothing()).execute();
    written++;
  });
  t = performance.now();
  await writer.start();
  const writeRate = await drained(M, () => written, t);
  await writer.close();
  return { noopRate, writeRate, enqueueUs, trxEnqueueUs };
}

async function benchPgBoss(pgDb: Database): Promise<Figures> {
  const boss = new PgBoss({ connectionString: pgUrl, schema: `${tag}_pgboss` });
  boss.on('error', (err) => console.error('pg-boss', err.message));
  await boss.start();
  await boss.createQueue('noop');
  await boss.createQueue('write');
  const enqueueUs = await cpuPerCall(N, (i) => boss.send('noop', { i }));
  let done = 0;
  let t = performance.now();
  await boss.work('noop', bossWork, async (jobs) => void (done += jobs.length));
  const noopRate = await drained(N, () => done, t);
  await boss.offWork('noop');
  await cpuPerCall(M, (i) => boss.send('write', { i }));
  let written = 0;
  t = performance.now();
  await boss.work<{ i: number }>('write', bossWork, async (jobs) => {
    // A batch arrives in one handler call: its writes run side by side, as a user would write it.
    await Promise.all(
      jobs.map(async (j) => {
        await pgDb.db.insertInto('bench_writes').values({ id: j.data.i + 1e9, job: 'x' }).onConflict((oc) => oc.column('id').doNothing()).execute();
        written++;
      }),
    );
  });
  const writeRate = await drained(M, () => written, t);
  await boss.stop({ graceful: false, wait: true });
  return { noopRate, writeRate, enqueueUs };
}

const results = new Map<string, Figures>();
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`Job queue bench: ${N} no-op + ${M} small-write jobs; load average before: ${load()}`);

const dir = mkdtempSync(join(tmpdir(), 'neptuno-bench-queue-'));
const pgDb = only.has('postgres') || only.has('bullmq') || only.has('pgboss') ? createDatabase({ url: pgUrl, schema: tag }) : null;
try {
  if (pgDb) {
    await sql`create schema ${sql.id(tag)}`.execute(pgDb.db);
    await migrate(pgDb);
  }
  if (only.has('sqlite')) {
    const lite = createDatabase({ url: `sqlite:${join(dir, 'q.db')}` });
    await migrate(lite);
    results.set('SQL queue, SQLite', await benchNeptuno(() => new SqlQueue({ database: lite, concurrency }), lite, lite));
    await lite.destroy();
  }
  if (pgDb && only.has('postgres')) results.set('SQL queue, PostgreSQL', await benchNeptuno(() => new SqlQueue({ database: pgDb, concurrency }), pgDb, pgDb));
  if (pgDb && only.has('pgboss')) results.set('pg-boss 10, PostgreSQL', await benchPgBoss(pgDb));
  if (pgDb && only.has('bullmq')) {
    await sql`truncate bench_writes`.execute(pgDb.db);
    results.set('BullMQ, Redis', await benchNeptuno(() => new BullQueue({ url: redisUrl, prefix: tag }), pgDb));
  }
} finally {
  if (pgDb) {
    await sql`drop schema if exists ${sql.id(tag)} cascade`.execute(pgDb.db);
    await sql`drop schema if exists ${sql.id(`${tag}_pgboss`)} cascade`.execute(pgDb.db);
    await pgDb.destroy();
  }
  if (only.has('bullmq')) {
    const redis = createRedis(redisUrl);
    const keys = await redis.keys(`${tag}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
  rmSync(dir, { recursive: true, force: true });
}

console.log(`load average after: ${load()}\n`);
console.log('| queue | no-op drained jobs/s | small-write drained jobs/s | enqueue CPU µs/job | trx.enqueue adds µs |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, f] of results) {
  console.log(`| ${name} | ${f.noopRate.toFixed(0)} | ${f.writeRate.toFixed(0)} | ${f.enqueueUs.toFixed(1)} | ${f.trxEnqueueUs?.toFixed(1) ?? '—'} |`);
}
const pgq = results.get('SQL queue, PostgreSQL');
const boss = results.get('pg-boss 10, PostgreSQL');
if (pgq && boss) console.log(`\nSQL queue on PostgreSQL / pg-boss: no-op ${(pgq.noopRate / boss.noopRate).toFixed(2)}, small-write ${(pgq.writeRate / boss.writeRate).toFixed(2)} (target >= 0.8; >= 2000 jobs/s)`);
const lite = results.get('SQL queue, SQLite');
if (lite && pgq) console.log(`SQLite / PostgreSQL: no-op ${(lite.noopRate / pgq.noopRate).toFixed(2)}, small-write ${(lite.writeRate / pgq.writeRate).toFixed(2)} (target >= 1)`);
// Some client (pg-boss's or BullMQ's) can keep a handle open after close; the figures are out.
process.exit(0);
