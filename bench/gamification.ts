/**
 * Gamification throughput on loopback, SQLite, one run:
 *   1. POST /v1/gamification/events, batches of 100 events with unique client ids, from one guest
 *   2. a bare Fastify route that parses and echoes the same batch
 *   3. raw better-sqlite3 insert of the same rows (same table and indexes) in one transaction, and
 *      with one commit per 100 rows (what a durable request of 100 events needs at least)
 *   4. GET /v1/gamification/me with the guest cookie and with a signed-in user's session
 *      cookie, against a bare Fastify hello
 *   node bin/run-ts.mjs bench/gamification.ts [--rounds 3] [--duration 5] [--connections 10]
 * Targets: ingestion >= 40% of the bare echo (events/s); /me >= 50% of bare hello.
 * Servers run in child processes (this file with --serve) so autocannon has its own event loop.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { processCpuMs } from './lib.js';

// autocannon ships no types; this is the little of its API used here.
interface AutocannonResult {
  '2xx': number;
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    // Comma-separated subset of cases (ingest,echo,me,hello), e.g. to profile one of them.
    cases: { type: 'string', default: 'ingest,echo,me,meUser,hello' },
  },
});

const BATCH = 100;
let seq = 0;
const batchBody = () => JSON.stringify({ events: Array.from({ length: BATCH }, () => ({ type: 'click', id: `e${++seq}` })) });

async function serve(kind: string) {
  if (kind === 'bare') {
    const { default: Fastify } = await import('fastify');
    const app = Fastify({ logger: false });
    app.post('/echo', async (request) => request.body);
    app.get('/hello', async () => ({ hello: 'world' }));
    console.log(`listening ${await app.listen({ host: '127.0.0.1', port: 0 })}`);
    process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
    return;
  }
  const { createApp } = await import('../src/core/app.js');
  const { buildConfig } = await import('../src/testing/app.js');
  // Every shipped module, as `npm start` runs them (identity included: /me is also measured
  // with a signed-in user's session).
  const { builtinModules: modules } = await import('../src/modules/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'neptuno-bench-gam-'));
  const { config, moduleConfigs } = buildConfig(
    {
      env: 'production',
      database: { url: `sqlite:${join(dir, 'bench.db')}` },
      server: { host: '127.0.0.1', port: 0 },
      log: { level: process.env.BENCH_LOG_LEVEL ?? 'info' },
      // `neptuno-nocache`: the same server reading the session row on every request (the signed-in
      // /me before the session cache), for a same-run comparison.
      modules: { gamification: { eventTypes: { click: { points: 1 } } }, ...(kind === 'neptuno-nocache' ? { auth: { session: { cacheSeconds: 0 } } } : {}) },
    },
    modules,
  );
  const app = await createApp({ config, moduleConfigs, modules, secret: 'bench-secret-bench-secret-bench-secret-01' });
  console.log(`listening ${await app.listen()}`);
  process.on('SIGTERM', () => void app.close().then(() => (rmSync(dir, { recursive: true, force: true }), process.exit(0))));
}

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function start(kind: string): Promise<Server> {
  // BENCH_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) go to the server processes, as in bench/lib.ts.
  const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, resolve(root, 'bin/run-ts.mjs'), fileURLToPath(import.meta.url), '--serve', kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ok, fail) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString();
      const m = /^listening (\S+)$/m.exec(buf);
      if (!m) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // drain request logs
      ok({ url: m[1], pid: child.pid!, stop: () => new Promise((done) => (child.once('exit', () => done()), child.kill('SIGTERM'))) });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`server ${kind} exited with ${code}`)));
  });
}

/** Requests/s (2xx) and the server's CPU time per request in µs (steadier on a shared machine). */
async function rps(server: Server, opts: { url: string; method?: string; headers?: Record<string, string>; batch?: boolean }): Promise<[number, number]> {
  const durationSec = Number(values.duration);
  const cpuBefore = processCpuMs(server.pid);
  const result = await autocannon({
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: { ...opts.headers, ...(opts.batch ? { 'content-type': 'application/json' } : {}) },
    connections: Number(values.connections),
    duration: durationSec,
    // A fresh body per request: unique ids, so every event is really inserted (no duplicates).
    requests: opts.batch ? [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: batchBody() }) }] : undefined,
  });
  if (result.non2xx) console.warn(`  ${opts.url}: ${result.non2xx} non-2xx answers`);
  const cpuUs = ((processCpuMs(server.pid) - cpuBefore) * 1000) / Math.max(1, result['2xx']);
  return [result['2xx'] / durationSec, cpuUs];
}

/**
 * Rows/s of prepared single-row inserts into gam_events (the module's own table and indexes).
 * `perTransaction` undefined: all rows in one transaction (the raw figure); 100: one
 * commit per 100 rows, which is what a request of 100 events needs to be durable on its own.
 */
async function rawInsertRate(perTransaction?: number): Promise<number> {
  const { default: SQLite } = await import('better-sqlite3');
  const { Kysely, SqliteDialect } = await import('kysely');
  const { migrations } = await import('../src/modules/gamification/schema.js');
  const dir = mkdtempSync(join(tmpdir(), 'neptuno-bench-raw-'));
  const file = new SQLite(join(dir, 'raw.db'));
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = NORMAL');
  const db = new Kysely({ dialect: new SqliteDialect({ database: file }) });
  await migrations['0001_gamification'].up(db);
  const insert = file.prepare('insert into gam_events (actor, type, client_id, points, source, ref, created_at) values (?, ?, ?, ?, ?, ?, ?)');
  const rows = perTransaction ? 50_000 : 200_000;
  const step = perTransaction ?? rows;
  const now = new Date().toISOString();
  // The same kind of actor key as a real guest (`guest:<uuid>`).
  const actor = 'guest:6f1c2a9e-3b7d-4c11-9a55-0e2d4b8c7f10';
  const started = process.hrtime.bigint();
  for (let from = 0; from < rows; from += step) {
    file.transaction(() => {
      for (let i = from; i < from + step; i++) insert.run(actor, 'click', `r${i}`, 1, 'event', null, now);
    })();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
  return rows / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const rounds = Number(values.rounds);
  const neptuno = await start('neptuno');
  const bare = await start('bare');
  const noCache = values.cases!.split(',').includes('meUserNoCache') ? await start('neptuno-nocache') : null;
  try {
    const guest = await fetch(`${neptuno.url}/v1/public/guest`, { method: 'POST' });
    const cookie = guest.headers.get('set-cookie')!.split(';')[0];
    const headers = { cookie };
    // A signed-in user's session cookie, for /me as the issue measures it (the guest cookie too).
    const origin = { origin: 'http://localhost:8000', 'content-type': 'application/json' };
    const account = { email: `bench-${Date.now()}@example.com`, password: 'Feria-de-Medellin-2026', name: 'Bench' };
    const signedIn = async (server: Server) => {
      await fetch(`${server.url}/v1/auth/sign-up/email`, { method: 'POST', headers: origin, body: JSON.stringify(account) });
      const signIn = await fetch(`${server.url}/v1/auth/sign-in/email`, { method: 'POST', headers: origin, body: JSON.stringify({ email: account.email, password: account.password }) });
      const session = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      if (!signIn.ok || !session) throw new Error(`bench sign-in failed: ${signIn.status} ${await signIn.text()}`);
      return { cookie: session };
    };
    const userHeaders = await signedIn(neptuno);
    const noCacheHeaders = noCache ? await signedIn(noCache) : {};
    // Rates in events/s for the batch cases (requests x 100); CPU in µs per event, or per request.
    const perEvent = ([rate, cpu]: [number, number]): [number, number] => [rate * BATCH, cpu / BATCH];
    const cases: Record<string, () => Promise<[number, number]>> = {
      ingest: async () => perEvent(await rps(neptuno, { url: `${neptuno.url}/v1/gamification/events`, method: 'POST', headers, batch: true })),
      echo: async () => perEvent(await rps(bare, { url: `${bare.url}/echo`, method: 'POST', batch: true })),
      me: () => rps(neptuno, { url: `${neptuno.url}/v1/gamification/me`, headers }),
      meUser: () => rps(neptuno, { url: `${neptuno.url}/v1/gamification/me`, headers: userHeaders }),
      meUserNoCache: () => rps(noCache!, { url: `${noCache!.url}/v1/gamification/me`, headers: noCacheHeaders }),
      hello: () => rps(bare, { url: `${bare.url}/hello` }),
    };
    const chosen = values.cases!.split(',').filter((c) => c in cases);
    const samples: Record<string, Array<[number, number]>> = Object.fromEntries(chosen.map((c) => [c, []]));
    for (let r = 0; r < rounds; r++) for (const name of chosen) samples[name].push(await cases[name]());
    // Cases left out print as NaN.
    const m: Record<string, number> = { ingest: NaN, echo: NaN, me: NaN, meUser: NaN, meUserNoCache: NaN, hello: NaN };
    const cpu: Record<string, number> = { ...m };
    for (const [k, v] of Object.entries(samples)) {
      m[k] = median(v.map((x) => x[0]));
      cpu[k] = median(v.map((x) => x[1]));
    }
    const raw = await rawInsertRate();
    const raw100 = await rawInsertRate(BATCH);
    const me = (await (await fetch(`${neptuno.url}/v1/gamification/me`, { headers })).json()) as { points: { total: number } };
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(11);
    console.log(`\nGamification (SQLite, loopback, median of ${rounds} rounds x ${values.duration}s, ${values.connections} connections)`);
    console.log(`  POST /v1/gamification/events (batches of ${BATCH})  ${fmt(m.ingest)} events/s`);
    console.log(`  bare Fastify parse + echo of the same batch     ${fmt(m.echo)} events/s`);
    console.log(`  raw better-sqlite3 insert, one transaction      ${fmt(raw)} rows/s`);
    console.log(`  raw better-sqlite3 insert, ${BATCH} rows per commit  ${fmt(raw100)} rows/s`);
    console.log(`  ingestion / bare echo: ${((m.ingest / m.echo) * 100).toFixed(1)}% (target >= 40%)`);
    console.log(`  ingestion / raw insert: ${((m.ingest / raw) * 100).toFixed(1)}% (one transaction), ${((m.ingest / raw100) * 100).toFixed(1)}% (${BATCH} rows per commit)`);
    console.log(`  GET /v1/gamification/me (guest cookie)          ${fmt(m.me)} req/s`);
    console.log(`  GET /v1/gamification/me (user session cookie)   ${fmt(m.meUser)} req/s`);
    console.log(`  bare Fastify hello                              ${fmt(m.hello)} req/s`);
    console.log(`  /me / bare hello: guest ${((m.me / m.hello) * 100).toFixed(1)}%, signed-in user ${((m.meUser / m.hello) * 100).toFixed(1)}% (target >= 50%)`);
    console.log(`  server CPU: ingestion ${cpu.ingest.toFixed(1)} µs/event vs echo ${cpu.echo.toFixed(1)} µs/event (echo = ${((cpu.echo / cpu.ingest) * 100).toFixed(1)}% of ingestion's cost)`);
    console.log(`  server CPU: /me (user) ${cpu.meUser.toFixed(0)} µs/request (hello = ${((cpu.hello / cpu.meUser) * 100).toFixed(1)}% of it)`);
    if (noCache) {
      console.log(`  GET /v1/gamification/me (user, no session cache) ${fmt(m.meUserNoCache)} req/s, ${cpu.meUserNoCache.toFixed(0)} µs/request (hello = ${((cpu.hello / cpu.meUserNoCache) * 100).toFixed(1)}% of it; /me / hello ${((m.meUserNoCache / m.hello) * 100).toFixed(1)}%)`);
    }
    console.log(`  server CPU: /me ${cpu.me.toFixed(0)} µs/request vs hello ${cpu.hello.toFixed(0)} µs/request (hello = ${((cpu.hello / cpu.me) * 100).toFixed(1)}% of /me's cost)`);
    console.log(`  (the guest ended with ${me.points.total.toLocaleString('en-US')} points)`);
  } finally {
    await neptuno.stop();
    await bare.stop();
    await noCache?.stop();
  }
}

if (values.serve) await serve(values.serve);
else await main();
