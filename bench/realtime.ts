/**
 * Realtime fan-out on loopback: N authenticated websocket clients, each subscribed to one shared
 * channel and to its own channel, against
 *   - bare: a bare `ws` server speaking the same frames (the floor, same run),
 *   - sqlite: one Neptuno process on SQLite with the embedded drivers,
 *   - postgres: two Neptuno replicas on PostgreSQL + Redis, clients split between them and every
 *     message published on the first (half the deliveries cross Redis).
 *   node bin/run-ts.mjs bench/realtime.ts [--clients 1000,5000] [--shapes bare,sqlite,postgres]
 *     [--rate 20000] [--paced-seconds 5] [--burst 20] [--pad 64] [--concurrency 200]
 * postgres needs NEPTUNO_BENCH_DATABASE_URL and NEPTUNO_BENCH_REDIS_URL (a scratch schema and
 * key prefix are created and dropped).
 *
 * Per N and shape: connect rate (upgrade + authentication + two subscriptions), server RSS per
 * 1k connections, then three phases, each verified exactly once per client (no loss, no
 * duplicate, nothing foreign):
 *   paced    — shared messages at `--rate` deliveries/s in total (rate / N messages/s): p50/p99
 *   burst    — `--burst` shared messages back to back: delivered messages/s (vs the floor)
 *   personal — one message to every client's own channel (N publishes): delivered/s
 * Targets (issue 9): 10k connections, p99 < 100 ms at 20k delivered/s, burst >= 0.5 x bare ws.
 * The clients run in one child process (bench/realtime/clients.ts): on 2 cores the load
 * generator has one and the server(s) the other, which bounds every figure, the floor's too.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { processCpuMs, startServer, type Server } from './lib.js';
import type { ConnectReport, ConnSpec, Order, PhaseReport } from './realtime/clients.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000,5000' },
    shapes: { type: 'string', default: 'bare,sqlite,postgres' },
    rate: { type: 'string', default: '20000' },
    'paced-seconds': { type: 'string', default: '5' },
    burst: { type: 'string', default: '20' },
    pad: { type: 'string', default: '64' },
    concurrency: { type: 'string', default: '200' },
  },
});
const SHARED = 'bench:shared';
const ORIGIN = 'http://localhost:8000'; // the bench servers' publicUrl: a trusted origin for cookie upgrades
const TARGET_RATE = Number(values.rate);
const PACED_SECONDS = Number(values['paced-seconds']);
const BURST = Number(values.burst);
const PAD = Number(values.pad);
const pgUrl = process.env.NEPTUNO_BENCH_DATABASE_URL;
// startServer passes these to the servers: /memory collects garbage before reading RSS.
process.env.BENCH_NODE_FLAGS = `${process.env.BENCH_NODE_FLAGS ?? ''} --expose-gc`.trim();
const redisUrl = process.env.NEPTUNO_BENCH_REDIS_URL;

/** The load generator: one forked process answering one message per order. */
class Clients {
  private readonly child: ChildProcess;
  constructor() {
    this.child = fork(resolve(root, 'bin/run-ts.mjs'), [resolve(root, 'bench/realtime/clients.ts')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }
  ask<T>(order: Order): Promise<T> {
    return new Promise((ok, fail) => {
      const onExit = (code: number) => fail(new Error(`bench clients exited with ${code}`));
      this.child.once('exit', onExit);
      this.child.once('message', (m) => {
        this.child.off('exit', onExit);
        ok(m as T);
      });
      this.child.send(order);
    });
  }
  get pid() {
    return this.child.pid!;
  }
}

interface Shape {
  name: string;
  servers: Server[];
  control: string;
  /** Credentials of `n` clients, spread over the servers. */
  actors(n: number): Promise<ConnSpec[]>;
  stop(): Promise<void>;
}

const controlOf = (s: Server) => /^control (\S+)$/m.exec(s.output)![1];
const wsUrl = (s: Server) => `${s.url.replace(/^http/, 'ws')}/ws`;

async function bareShape(): Promise<Shape> {
  const server = await startServer('realtime-bare');
  return {
    name: 'bare ws (floor)',
    servers: [server],
    control: controlOf(server),
    actors: async (n) => Array.from({ length: n }, (_, i) => ({ url: wsUrl(server), headers: { origin: ORIGIN }, personal: `guest:${i}` })),
    stop: () => server.stop(),
  };
}

/** Guests made through the public API (the cheapest real actor), 20 requests in flight. */
async function guests(servers: Server[], n: number): Promise<ConnSpec[]> {
  const out: ConnSpec[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const server = servers[i % servers.length];
      const res = await fetch(`${server.url}/v1/public/guest`, { method: 'POST', headers: { origin: ORIGIN } });
      if (!res.ok) throw new Error(`guest creation: ${res.status} ${await res.text()}`);
      const guest = (await res.json()) as { id: string };
      const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      out[i] = { url: wsUrl(server), headers: { origin: ORIGIN, cookie }, personal: `guest:${guest.id}` };
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  return out;
}

async function sqliteShape(): Promise<Shape> {
  const server = await startServer('realtime-neptuno', { BENCH_LOG_LEVEL: 'warn' });
  return {
    name: 'Neptuno, SQLite, 1 process',
    servers: [server],
    control: controlOf(server),
    actors: (n) => guests([server], n),
    stop: () => server.stop(),
  };
}

async function postgresShape(): Promise<Shape> {
  const schema = `bench_rt_${process.pid}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema "${schema}"`);
  const env = { BENCH_LOG_LEVEL: 'warn', BENCH_DATABASE_URL: pgUrl!, BENCH_DATABASE_SCHEMA: schema, BENCH_REDIS_URL: redisUrl!, BENCH_REDIS_PREFIX: `bench-rt:${randomBytes(4).toString('hex')}:` };
  // One after the other: the first one migrates the schema.
  const a = await startServer('realtime-neptuno', env);
  const b = await startServer('realtime-neptuno', env);
  return {
    name: 'Neptuno, PostgreSQL + Redis, 2 replicas',
    servers: [a, b],
    control: controlOf(a),
    actors: (n) => guests([a, b], n),
    stop: async () => {
      await a.stop();
      await b.stop();
      await admin.query(`drop schema "${schema}" cascade`);
      await admin.end();
    },
  };
}

async function control(shape: Shape, path: string, body: unknown): Promise<{ startedAt: number; ms: number }> {
  const res = await fetch(`${shape.control}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { startedAt: number; ms: number };
}

interface Row {
  shape: string;
  n: number;
  connected: number;
  connectPerSec: number;
  rssPer1k: number;
  jsPer1k: number;
  paced: PhaseReport & { rate: number };
  burst: PhaseReport & { rate: number; cpuUsPerDelivery: number };
  personal: PhaseReport & { rate: number };
}

const ok = (r: PhaseReport) => r.missing === 0 && r.duplicates === 0 && r.foreign === 0 && r.received === r.expected;
const serverCpu = (shape: Shape) => shape.servers.reduce((sum, s) => sum + processCpuMs(s.pid), 0);
/**
 * Memory of every server process after a full GC (through the control port of each): RSS, and
 * what JavaScript holds (heap + external + array buffers), which the allocator's keeping or
 * returning of freed pages does not blur.
 */
async function serverMemory(shape: Shape): Promise<{ rss: number; js: number }> {
  const sum = { rss: 0, js: 0 };
  for (const s of shape.servers) {
    const m = (await (await fetch(`${controlOf(s)}/memory`, { method: 'POST' })).json()) as { rss: number; js: number };
    sum.rss += m.rss;
    sum.js += m.js;
  }
  return sum;
}

async function phase(clients: Clients, shape: Shape, order: Extract<Order, { op: 'expect' }>, publish: () => Promise<{ startedAt: number }>, idleMs: number) {
  await clients.ask({ ...order });
  const { startedAt } = await publish();
  const report = await clients.ask<PhaseReport>({ op: 'collect', idleMs });
  const seconds = Math.max(report.lastAt - startedAt, 1) / 1000;
  return { ...report, rate: report.received / seconds };
}

async function measure(makeShape: () => Promise<Shape>, n: number): Promise<Row> {
  const shape = await makeShape();
  const clients = new Clients();
  try {
    const conns = await shape.actors(n);
    const before = await serverMemory(shape);
    const connected = await clients.ask<ConnectReport>({ op: 'connect', shared: SHARED, conns, concurrency: Number(values.concurrency) });
    if (connected.failed) console.warn(`  ${shape.name}: ${connected.failed} of ${n} connections failed: ${connected.errors.join('; ')}`);
    const after = await serverMemory(shape);
    const per1k = (bytes: number) => (bytes / Math.max(connected.ok, 1)) * 1000;
    const rssPer1k = per1k(after.rss - before.rss);
    const jsPer1k = per1k(after.js - before.js);

    // Paced: TARGET_RATE deliveries/s in total, so rate / N messages/s on the shared channel.
    const perSec = TARGET_RATE / n;
    const pacedCount = Math.max(3, Math.round(perSec * PACED_SECONDS));
    const paced = await phase(clients, shape, { op: 'expect', phase: 'shared', count: pacedCount }, () => control(shape, '/publish', { channel: SHARED, count: pacedCount, intervalMs: 1000 / perSec, pad: PAD }), 5000);

    const cpuBefore = serverCpu(shape);
    const burst = await phase(clients, shape, { op: 'expect', phase: 'shared', count: BURST }, () => control(shape, '/publish', { channel: SHARED, count: BURST, intervalMs: 0, pad: PAD }), 5000);
    const cpuUsPerDelivery = ((serverCpu(shape) - cpuBefore) * 1000) / Math.max(burst.received, 1);

    const personal = await phase(clients, shape, { op: 'expect', phase: 'personal' }, () => control(shape, '/personal', { channels: conns.map((c) => c.personal) }), 5000);
    await clients.ask({ op: 'close' });
    return { shape: shape.name, n, connected: connected.ok, connectPerSec: connected.ok / (connected.ms / 1000), rssPer1k, jsPer1k, paced, burst: { ...burst, cpuUsPerDelivery }, personal };
  } finally {
    await shape.stop();
  }
}

const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—');
const verdict = (r: PhaseReport) => (ok(r) ? 'exactly once' : `MISSING ${r.missing} DUP ${r.duplicates} FOREIGN ${r.foreign}${Object.keys(r.closed).length ? ` closed ${JSON.stringify(r.closed)}` : ''}`);

function print(rows: Row[]) {
  const floor = rows.find((r) => r.shape.startsWith('bare'));
  console.log(`\nRealtime fan-out, ${rows[0].n.toLocaleString('en-US')} clients (shared channel + own channel each), payload pad ${PAD} B`);
  for (const r of rows) {
    const ratio = floor ? ` (${((r.burst.rate / floor.burst.rate) * 100).toFixed(0)}% of bare)` : '';
    console.log(`  ${r.shape}`);
    console.log(`    connected ${r.connected}/${r.n} at ${fmt(r.connectPerSec)}/s; per 1k connections the server(s) grew ${fmt(r.rssPer1k / 1048576, 1)} MB RSS, ${fmt(r.jsPer1k / 1048576, 1)} MB JS heap+external`);
    console.log(`    paced    ${fmt(r.paced.rate)} delivered/s (target ${fmt(TARGET_RATE)}): p50 ${fmt(r.paced.p50, 1)} ms, p99 ${fmt(r.paced.p99, 1)} ms, max ${fmt(r.paced.max, 1)} ms — ${verdict(r.paced)}`);
    console.log(`    burst    ${fmt(r.burst.rate)} delivered/s${ratio}, ${fmt(r.burst.cpuUsPerDelivery, 2)} µs server CPU per delivery, p99 ${fmt(r.burst.p99, 1)} ms — ${verdict(r.burst)}`);
    console.log(`    personal ${fmt(r.personal.rate)} delivered/s (one publish per client), p99 ${fmt(r.personal.p99, 1)} ms — ${verdict(r.personal)}`);
  }
}

const makers: Record<string, () => Promise<Shape>> = { bare: bareShape, sqlite: sqliteShape, postgres: postgresShape };
const shapes = values.shapes!.split(',').filter((s) => {
  if (s === 'postgres' && !(pgUrl && redisUrl)) {
    console.log('(postgres skipped: set NEPTUNO_BENCH_DATABASE_URL and NEPTUNO_BENCH_REDIS_URL to measure two replicas)');
    return false;
  }
  return s in makers;
});
for (const n of values.clients!.split(',').map(Number)) {
  const rows: Row[] = [];
  for (const s of shapes) rows.push(await measure(makers[s], n));
  print(rows);
}
