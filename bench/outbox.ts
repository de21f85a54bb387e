/**
 * What the transactional outbox adds to a create: one row inserted in ctx.tx, then
 *   plain          nothing else
 *   enqueue-after  ctx.enqueue after the commit (the old way: a job lost if the process dies between)
 *   trx.enqueue    the job written in the same transaction
 *   trx.emit       an event with one subscribed handler, delivered by this process (awaited)
 * In-process, wall time per operation, median of interleaved rounds. SQLite by default;
 * PostgreSQL + Redis (BullMQ) with BENCH_DATABASE_URL / BENCH_REDIS_URL set.
 *   node bin/run-ts.mjs bench/outbox.ts [--ops 2000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { defineModule } from '../src/core/module.js';

declare module '../src/core/events.js' {
  interface DomainEvents {
    'bench.created': { id: string };
  }
}

const { values } = parseArgs({ options: { ops: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } } });
const ops = Number(values.ops);
const rounds = Number(values.rounds);
const pg = process.env.BENCH_DATABASE_URL;
if (pg) process.env.NEPTUNO_TEST_DATABASE_URL = pg;
// Imported after setting the variable: the test targets read it when loaded.
const { createTestApp } = await import('../src/testing/app.js');

let handled = 0;
const bench = defineModule({
  name: 'bench',
  migrations: {
    '0001': {
      async up(db) {
        await db.schema.createTable('bench_items').addColumn('id', 'varchar(64)', (c) => c.primaryKey()).addColumn('n', 'integer').execute();
      },
    },
  },
  jobs: { work: async () => {} },
  on: { 'bench.created': () => void handled++ },
});

const t = await createTestApp({
  target: pg ? { name: 'postgres', redisUrl: process.env.BENCH_REDIS_URL ?? null } : { name: 'sqlite', redisUrl: null },
  modules: [bench],
  workers: false,
});
const { ctx } = t;
const insert = (trx: typeof ctx.db) => trx.insertInto('bench_items').values({ id: randomUUID(), n: 1 }).execute();

const variants: Record<string, () => Promise<unknown>> = {
  plain: () => ctx.tx(async (trx) => void (await insert(trx))),
  'enqueue-after': async () => {
    await ctx.tx(async (trx) => void (await insert(trx)));
    await ctx.enqueue('bench.work', { n: 1 });
  },
  'trx.enqueue': () =>
    ctx.tx(async (trx) => {
      await insert(trx);
      trx.enqueue('bench.work', { n: 1 });
    }),
  'trx.emit (+ delivery)': async () => {
    await ctx.tx(async (trx) => {
      await insert(trx);
      trx.emit('bench.created', { id: 'x' });
    });
    await ctx.outbox.settled();
  },
};

const samples = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
try {
  for (const run of Object.values(variants)) for (let i = 0; i < 200; i++) await run(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(variants)) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < ops; i++) await run();
      samples.get(name)!.push(Number(process.hrtime.bigint() - start) / 1000 / ops);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(samples.get('plain')!);
  console.log(`${pg ? 'PostgreSQL + ' + (process.env.BENCH_REDIS_URL ? 'BullMQ' : 'SQL queue') : 'SQLite + SQL queue'}: ${ops} ops x ${rounds} rounds, median µs per create`);
  for (const [name, xs] of samples) {
    const m = median(xs);
    console.log(`  ${name.padEnd(24)} ${m.toFixed(1).padStart(8)} µs  (+${(m - base).toFixed(1)} µs over plain)`);
  }
  console.log(`  handler runs: ${handled}`);
} finally {
  await t.close();
}
