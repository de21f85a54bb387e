/**
 * Streamed export of a large admin list: 100,000 rows (default) of the contacts fixture on SQLite,
 * downloaded over real HTTP as CSV and as XLSX from GET /v1/admin/exports, the body read and
 * dropped as it arrives. Memory: the process's peak RSS and heap, sampled every 50 ms (after a forced GC with --expose-gc, so heap is live data), minus
 * their values just before the download; the output size is printed beside them, so "bounded"
 * reads as "the peak is a small fraction of the file". Floor: the same list walked page by page
 * as JSON through the same route (what a script paging the API pays), in the same run.
 *   node --expose-gc bin/run-ts.mjs bench/export.ts [--rows 100000]
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { createTestApp } from '../src/testing/app.js';
import contacts from '../src/core/imports/contacts.fixture.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, formats: { type: 'string', default: 'csv,xlsx' } } });
const N = Number(values.rows);
const TOKEN = 'admin-token-for-the-export-bench-0123456789';
const headers = { authorization: `Bearer ${TOKEN}` };

const t = await createTestApp({ target: { name: 'sqlite', redisUrl: null }, modules: [contacts], config: { admin: { token: TOKEN }, log: { level: 'warn' } } });
for (let i = 0; i < N; i += 1000) {
  const chunk = Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({
    email: `persona${i + j}@ejemplo.com`,
    name: `Persona número ${i + j} — Ñandú`,
    age: (i + j) % 90,
    vip: (i + j) % 7 === 0 ? 1 : 0,
    tenant_id: null,
    import_id: 'bench',
  }));
  await t.ctx.db.insertInto('fixture_contacts' as never).values(chunk as never).execute();
}
const base = await t.neptuno.listen();

function sampler() {
  global.gc?.();
  const start = process.memoryUsage();
  const peak = { rss: start.rss, heap: start.heapUsed };
  // With --expose-gc, a collection before each sample: the heap figure is then what is live
  // (retained), not garbage the collector has not got to yet.
  const timer = setInterval(() => {
    global.gc?.();
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  }, 50);
  return () => {
    clearInterval(timer);
    return { rss: peak.rss - start.rss, heap: peak.heap - start.heapUsed };
  };
}

function download(path: string): Promise<{ bytes: number; ms: number; status: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(base + path, { headers }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ bytes, ms: performance.now() - started, status: res.statusCode ?? 0 }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function walkJson(): Promise<{ rows: number; ms: number }> {
  const started = performance.now();
  let cursor: string | null = null;
  let rows = 0;
  do {
    const res = await t.app.inject({ method: 'GET', url: `/v1/admin/contacts-fixture?limit=100${cursor ? `&cursor=${cursor}` : ''}`, headers });
    const page = res.json() as { data: unknown[]; nextCursor: string | null };
    rows += page.data.length;
    cursor = page.nextCursor;
  } while (cursor);
  return { rows, ms: performance.now() - started };
}

const mb = (b: number) => (b / 1_048_576).toFixed(1);
console.log(`export bench: ${N} rows, SQLite, Node ${process.version}, load ${loadavg()[0].toFixed(2)}`);
const stopFloor = sampler();
const floor = await walkJson();
const floorPeak = stopFloor();
console.log(`floor  JSON pages of 100 through the list route: ${floor.rows} rows in ${floor.ms.toFixed(0)} ms; peak RSS +${mb(floorPeak.rss)} MB, peak heap +${mb(floorPeak.heap)} MB`);
// The whole list, and its VIP seventh: a bounded export peaks the same whatever the row count.
for (const [format, list] of [['csv', '/v1/admin/contacts-fixture?vip=true'], ['csv', '/v1/admin/contacts-fixture'], ['xlsx', '/v1/admin/contacts-fixture?vip=true'], ['xlsx', '/v1/admin/contacts-fixture']] as const) {
  if (!values.formats.split(',').includes(format)) continue;
  const stop = sampler();
  const r = await download(`/v1/admin/exports?list=${encodeURIComponent(list)}&format=${format}`);
  const peak = stop();
  console.log(
    `${format.padEnd(5)} ${list.padEnd(36)} status ${r.status}, ${mb(r.bytes)} MB in ${r.ms.toFixed(0)} ms (${(floor.ms / r.ms).toFixed(2)} of the floor's speed); ` +
      `peak RSS +${mb(peak.rss)} MB, peak heap +${mb(peak.heap)} MB (${((100 * peak.heap) / r.bytes).toFixed(0)} % of the file)`,
  );
}
await t.close();
