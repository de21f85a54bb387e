/**
 * Tracking (docs/tracking.md), in one process on an isolated database:
 *  1. ingestion: batches of 20 events from many simulated visitors through the module (visitor
 *     hash, group-commit writer, raw rows + every rollup), against a raw batched insert of the
 *     same rows into a copy of the raw table (20 rows per statement, same concurrency): the floor;
 *  2. acknowledgement latency: POST /v1/tracking/events (20 events each) paced at --rate events/s
 *     through the HTTP pipeline (inject), p50/p99 of the answer (given after the commit);
 *  3. dashboards: 30 days of rollups written directly (--pages distinct pages…) plus --raw raw
 *     events, then every admin query timed (median and max of 15 runs).
 *   node bin/run-ts.mjs bench/tracking.ts [--db sqlite|postgres] [--seconds 10] [--rate 5000] [--raw 1000000]
 * --db postgres needs NEPTUNO_TEST_DATABASE_URL (a schema is created and dropped).
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { createTestApp } from '../src/testing/app.js';
import guests from '../src/modules/guests/module.js';
import tracking from '../src/modules/tracking/module.js';
import { newId } from '../src/core/ids.js';
import { recordOf, type EventInput, type RecordedEvent } from '../src/modules/tracking/events.js';
import { rangeOf } from '../src/modules/tracking/range.js';
import type { TrackingService } from '../src/modules/tracking/service.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '5000' },
    raw: { type: 'string', default: '1000000' },
    pages: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '50' },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const RAW = Number(values.raw);
const PAGES = Number(values.pages);
const CONCURRENCY = Number(values.concurrency);
const target = { name: values.db === 'postgres' ? ('postgres' as const) : ('sqlite' as const), redisUrl: null };
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ORIGIN = 'http://localhost:8000';

const t = await createTestApp({
  target,
  modules: [guests, tracking],
  config: { log: { level: 'error', requests: 'slow' }, admin: { token: 'bench-admin-token-0123456789-0123456789' }, modules: { tracking: { limits: { requestsPerMinute: 100_000, requestsPerMinutePerIp: 1_000_000 }, live: { intervalMs: 300_000 } } } },
});
const svc = t.ctx.services.tracking as TrackingService;
const db = t.ctx.db;

const batchOf = (i: number): EventInput[] =>
  Array.from({ length: 20 }, (_, j) => {
    const k = (i * 20 + j) % 10;
    const url = `${ORIGIN}/p/${(i + j) % 20}${k === 0 ? '?utm_source=news&utm_campaign=fair' : ''}`;
    if (k < 6) return { type: 'pageview', url, referrer: k === 1 ? 'https://www.google.com/' : undefined };
    if (k < 8) return { type: 'click', url, name: `cta${k}`, props: { place: 'hero' } };
    return { type: 'engagement', url, duration: 5000 };
  });
const ipOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

async function pool(total: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < total) await fn(next++);
  }));
}

// 1. Ingestion vs the floor, interleaved rounds.
await sql`create table bench_raw as select * from tracking_events where 1 = 0`.execute(db);
await sql`create index bench_raw_at on bench_raw (at)`.execute(db);
await sql`create index bench_raw_guest on bench_raw (guest_id)`.execute(db);
await sql`create index bench_raw_user on bench_raw (user_id)`.execute(db);
const VISITORS = 5000;
const batches = Math.max(100, Math.round((SECONDS * 2000) / 20));
const rounds: Array<{ module: number; floor: number }> = [];
for (let round = 0; round < 3; round++) {
  const start = performance.now();
  await pool(batches, async (i) => {
    await svc.ingest({ ip: ipOf((i * 7 + round) % VISITORS), userAgent: UA, optedOut: false, userId: null, guestId: null }, batchOf(i), { rateLimit: false });
  });
  const moduleRate = (batches * 20) / ((performance.now() - start) / 1000);
  // The same rows, without hashing, rollups or batching across requests.
  const at = new Date();
  const rows: RecordedEvent[][] = Array.from({ length: batches }, (_, i) => batchOf(i).map((e) => recordOf(newId(), e, { at, visitor: `v${i % VISITORS}`, country: null, userId: null, guestId: null })));
  const floorStart = performance.now();
  await pool(batches, async (i) => {
    await db
      .insertInto('bench_raw' as never)
      .values(rows[i]!.map((e) => ({ id: e.id, at: e.at.toISOString(), hour: e.hour, visitor: e.visitor, type: e.type, name: e.name, path: e.path, referrer: e.referrer, utm_source: e.utm.source, utm_medium: e.utm.medium, utm_campaign: e.utm.campaign, utm_term: null, utm_content: null, country: null, duration_ms: e.durationMs, props: e.props ? JSON.stringify(e.props) : null, user_id: null, guest_id: null })) as never)
      .execute();
  });
  const floorRate = (batches * 20) / ((performance.now() - floorStart) / 1000);
  rounds.push({ module: moduleRate, floor: floorRate });
  console.log(`round ${round + 1}: module ${moduleRate.toFixed(0)} events/s, raw insert ${floorRate.toFixed(0)} events/s, ratio ${(moduleRate / floorRate).toFixed(2)}`);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mod = med(rounds.map((r) => r.module));
const floor = med(rounds.map((r) => r.floor));
console.log(`\nIngestion (${target.name}, ${batches} batches of 20 per round, ${CONCURRENCY} in flight, ${VISITORS} visitors): module ${mod.toFixed(0)} events/s, raw batched insert ${floor.toFixed(0)} events/s, ratio ${(mod / floor).toFixed(2)} (target >= 0.5)`);

// 2. Acknowledgement latency at RATE events/s (RATE/20 requests/s), open loop.
const perSecond = RATE / 20;
const total = Math.round(perSecond * SECONDS);
const latencies: number[] = [];
let failures = 0;
const started = performance.now();
const inflight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = started + (i * 1000) / perSecond;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  inflight.push(
    (async () => {
      const t0 = performance.now();
      const res = await t.app.inject({ method: 'POST', url: '/v1/tracking/events', remoteAddress: ipOf(i % VISITORS), headers: { origin: ORIGIN, 'user-agent': UA, 'content-type': 'text/plain' }, payload: JSON.stringify({ events: batchOf(i) }) });
      if (res.statusCode !== 202) failures++;
      latencies.push(performance.now() - t0);
    })(),
  );
}
await Promise.all(inflight);
const achieved = (total * 20) / ((performance.now() - started) / 1000);
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
console.log(`Acknowledgement at ${RATE} events/s offered (${achieved.toFixed(0)} achieved, ${total} requests, ${failures} failed): p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${pct(100).toFixed(1)} ms (target p99 < 20 ms)`);

// 3. Dashboards over 30 days of rollups (+ raw events for funnels).
const DAY = 86_400_000;
const end = Date.UTC(2026, 10, 1);
const hours = Array.from({ length: 30 * 24 }, (_, h) => new Date(end - 30 * DAY + h * 3_600_000).toISOString().slice(0, 13));
const dims: Array<[string, string[]]> = [
  ['', ['']],
  ['page', Array.from({ length: PAGES }, (_, i) => `/page/${i}`)],
  ['referrer', Array.from({ length: 50 }, (_, i) => `site${i}.example`)],
  ['utm_source', Array.from({ length: 10 }, (_, i) => `source${i}`)],
  ['utm_campaign', Array.from({ length: 20 }, (_, i) => `campaign${i}`)],
  ['event', Array.from({ length: 30 }, (_, i) => `event${i}`)],
  ['prop', Array.from({ length: 100 }, (_, i) => `event${i % 30}|key${i % 5}|value${i}`)],
];
const genStart = performance.now();
let rollupRows = 0;
const counters = (n: number) => ({ views: n * 10, visitors: n * 4, hour_visitors: n * 4, events: n * 3, engaged_ms: n * 30_000, entries: n * 2, bounces: n });
for (const hour of hours) {
  const rows = dims.flatMap(([dim, values]) => values.map((value, i) => ({ hour, dim, value, ...counters(1 + (i % 7)) })));
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('tracking_hourly' as never).values(rows.slice(i, i + 500) as never).execute();
  rollupRows += rows.length;
}
for (let d = 0; d < 30; d++) {
  const day = new Date(end - 30 * DAY + d * DAY).toISOString().slice(0, 10);
  const rows = dims.flatMap(([dim, values]) => values.map((value, i) => ({ day, dim, value, ...counters(24 * (1 + (i % 7))), hour_visitors: 0 })));
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('tracking_daily' as never).values(rows.slice(i, i + 500) as never).execute();
  rollupRows += rows.length;
}
// Unique visitors of the partial days at both ends of a range: 3,000 an hour.
for (const hour of hours.slice(0, 24).concat(hours.slice(-24))) {
  const rows = Array.from({ length: 3000 }, (_, i) => ({ hour, visitor: `${hour}-${i}`.padEnd(32, 'x').slice(0, 32) }));
  for (let i = 0; i < rows.length; i += 1000) await db.insertInto('tracking_hour_visitors' as never).values(rows.slice(i, i + 1000) as never).execute();
}
// Raw events over the 30 days (read by funnels only).
const RAW_BATCH = 1000;
for (let i = 0; i < RAW; i += RAW_BATCH) {
  const rows = Array.from({ length: Math.min(RAW_BATCH, RAW - i) }, (_, j) => {
    const n = i + j;
    const at = new Date(end - 30 * DAY + Math.floor((n / RAW) * 30 * DAY));
    const e: EventInput = n % 3 === 0 ? { type: 'click', url: `${ORIGIN}/`, name: 'signup' } : { type: 'pageview', url: `${ORIGIN}/${n % 4 === 0 ? '' : `page/${n % PAGES}`}` };
    const r = recordOf(newId(), e, { at, visitor: `v${n % 20_000}`.padEnd(8, '0'), country: null, userId: null, guestId: null });
    return { id: r.id, at: r.at.toISOString(), hour: r.hour, visitor: r.visitor, type: r.type, name: r.name, path: r.path, referrer: null, utm_source: null, utm_medium: null, utm_campaign: null, utm_term: null, utm_content: null, country: null, duration_ms: null, props: null, user_id: null, guest_id: null };
  });
  await db.insertInto('tracking_events' as never).values(rows as never).execute();
}
if (target.name === 'postgres') await sql`analyze`.execute(db);
console.log(`\nGenerated ${rollupRows} rollup rows (30 days, ${PAGES} pages…) and ${RAW} raw events in ${((performance.now() - genStart) / 1000).toFixed(0)} s`);

const month = rangeOf(new Date(end - 30 * DAY), new Date(end));
const ragged = rangeOf(new Date(end - 30 * DAY + 5 * 3_600_000), new Date(end - 7 * 3_600_000));
const q = svc.queries;
const cases: Array<[string, () => Promise<unknown>]> = [
  ['summary, 30 whole days', () => q.summary(month)],
  ['summary, 29 days + 2 partial days', () => q.summary(ragged)],
  ['timeseries by day, 30 days', () => q.timeseries(month, 'day')],
  ['timeseries by hour, 7 days', () => q.timeseries(rangeOf(new Date(end - 7 * DAY), new Date(end)), 'hour')],
  ['top pages, 30 days', () => q.breakdown(month, 'page', 20)],
  ['top pages, ragged range', () => q.breakdown(ragged, 'page', 20)],
  ['referrers, 30 days', () => q.breakdown(month, 'referrer', 20)],
  ['campaigns, 30 days', () => q.breakdown(month, 'utm_campaign', 20)],
  ['events, 30 days', () => q.breakdown(month, 'event', 20)],
  ['event properties, 30 days', () => q.properties(month, 'event1', 20)],
  ['live visitors', () => svc.live.snapshot()],
  ['funnel 2 steps, 1 day (raw events)', () => svc.funnels.run([{ type: 'pageview', path: '/' }, { type: 'click', name: 'signup' }], new Date(end - DAY), new Date(end), 30 * 60_000)],
  ['funnel 2 steps, 7 days (raw events)', () => svc.funnels.run([{ type: 'pageview', path: '/' }, { type: 'click', name: 'signup' }], new Date(end - 7 * DAY), new Date(end), 30 * 60_000)],
];
console.log(`\nDashboard queries on ${target.name} (median / max of 15 runs, target < 100 ms):`);
for (const [name, run] of cases) {
  await run();
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`  ${name.padEnd(38)} ${med(times).toFixed(1).padStart(8)} ms ${times.at(-1)!.toFixed(1).padStart(8)} ms`);
}
await t.close();
