/**
 * Wallet spends per second, through HTTP, against the floor: a raw conditional
 * `UPDATE … SET balance = balance - 1 WHERE id = ? AND balance >= 1` loop on the same database in
 * the same run.
 *   node bin/run-ts.mjs bench/wallet.ts [--db sqlite|postgres] [--rounds 3] [--duration 5] [--connections 10]
 *   (postgres: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; a schema of its own, dropped after)
 * Cases, interleaved per round (median kept):
 *   hot    POST /v1/wallet/spend {amount:1} on one wallet
 *   many   the same across 1,000 wallets (a random one per request)
 *   rawHot / rawMany  the floor: the conditional UPDATE alone, autocommit, as many concurrent
 *          workers as HTTP connections (one better-sqlite3 handle on SQLite: a single writer anyway)
 * Target: hot >= 0.30 of rawHot. After the run the ledger is verified (wallet verify) and every
 * 201 is matched by exactly one spend transfer.
 * The server runs every shipped module; callers are identified by a bench-only header resolver
 * (no session lookup: this measures the ledger, the kernel's auth is measured in bench/gamification.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { processCpuMs } from './lib.js';

interface AutocannonResult {
  '2xx': number;
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    db: { type: 'string', default: 'sqlite' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
  },
});

const WALLETS = 1_000;
const START = 1_000_000_000;

/** The server process: every shipped module, a bench caller resolver, wallets seeded, the raw table made. */
async function serve() {
  const { createApp } = await import('../src/core/app.js');
  const { buildConfig } = await import('../src/testing/app.js');
  const { defineModule } = await import('../src/core/module.js');
  const { builtinModules } = await import('../src/modules/index.js');
  const benchUsers = defineModule({
    name: 'bench-users',
    start: (ctx) =>
      ctx.access.addResolver((req) => {
        const id = req.headers['x-bench-user'];
        return typeof id === 'string' ? { type: 'user', id, role: 'user', tenantId: null, via: 'bench' } : null;
      }, -50),
  });
  const modules = [...builtinModules, benchUsers];
  const { config, moduleConfigs } = buildConfig(
    { env: 'production', database: { url: process.env.BENCH_DB_URL! }, server: { host: '127.0.0.1', port: 0 }, log: { level: 'warn' } },
    modules,
  );
  const app = await createApp({ config, moduleConfigs, modules, secret: 'bench-secret-bench-secret-bench-secret-01', databaseSchema: process.env.BENCH_DB_SCHEMA || undefined });
  const wallet = app.ctx.services.wallet;
  await wallet.grant({ userId: 'hot' }, { amount: START * 100, kind: 'paid', source: 'bench:hot', reason: 'bench' });
  for (let i = 0; i < WALLETS; i++) await wallet.grant({ userId: `w${i}` }, { amount: START, kind: 'paid', source: `bench:w${i}`, reason: 'bench' });
  const db = app.ctx.db;
  await db.schema.createTable('bench_raw').ifNotExists().addColumn('id', 'varchar(40)', (c) => c.primaryKey()).addColumn('balance', 'bigint', (c) => c.notNull()).execute();
  await db.insertInto('bench_raw').values([{ id: 'hot', balance: START * 100 }, ...Array.from({ length: WALLETS }, (_, i) => ({ id: `w${i}`, balance: START }))]).execute();
  console.log(`listening ${await app.listen()}`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

function start(env: Record<string, string>): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  // BENCH_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) go to the server process, as in bench/lib.ts.
  const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, resolve(root, 'bin/run-ts.mjs'), fileURLToPath(import.meta.url), '--serve'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((ok, fail) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString();
      const m = /^listening (\S+)$/m.exec(buf);
      if (!m) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      ok({ url: m[1], pid: child.pid!, stop: () => new Promise((done) => (child.once('exit', () => done()), child.kill('SIGTERM'))) });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`wallet bench server exited with ${code}`)));
  });
}

/** A raw conditional UPDATE runner on the bench database: returns updates/s over the duration. */
type RawRunner = (hot: boolean) => Promise<number>;

async function sqliteRaw(file: string, seconds: number): Promise<{ run: RawRunner; close(): void }> {
  const { default: SQLite } = await import('better-sqlite3');
  const handle = new SQLite(file);
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  handle.pragma('busy_timeout = 5000');
  const update = handle.prepare('update bench_raw set balance = balance - 1 where id = ? and balance >= 1');
  return {
    // One writer, autocommit per statement: what a conditional decrement costs SQLite, nothing else.
    run: async (hot) => {
      let n = 0;
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        for (let i = 0; i < 100; i++) if (update.run(hot ? 'hot' : `w${(Math.random() * WALLETS) | 0}`).changes === 1) n++;
        // Yield now and then so this process stays responsive.
        if (n % 10_000 === 0) await new Promise((r) => setImmediate(r));
      }
      return n / seconds;
    },
    close: () => handle.close(),
  };
}

async function postgresRaw(url: string, schema: string, seconds: number, workers: number): Promise<{ run: RawRunner; close(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: workers, options: `-c search_path=${schema},public` });
  return {
    // `workers` clients in parallel (as many as HTTP connections), autocommit per statement.
    run: async (hot) => {
      let n = 0;
      const end = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (performance.now() < end) {
            const r = await pool.query('update bench_raw set balance = balance - 1 where id = $1 and balance >= 1', [hot ? 'hot' : `w${(Math.random() * WALLETS) | 0}`]);
            n += r.rowCount ?? 0;
          }
        }),
      );
      return n / seconds;
    },
    close: () => pool.end(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  const pgMode = values.db === 'postgres';
  const dir = mkdtempSync(join(tmpdir(), 'neptuno-bench-wallet-'));
  const pgUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `bench_wallet_${randomBytes(4).toString('hex')}`;
  const dbUrl = pgMode ? pgUrl : `sqlite:${join(dir, 'bench.db')}`;
  const { default: pg } = await import('pg');
  if (pgMode) {
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
  }
  const server = await start({ BENCH_DB_URL: dbUrl, BENCH_DB_SCHEMA: pgMode ? schema : '' });
  const raw = pgMode ? await postgresRaw(pgUrl, schema, seconds, connections) : await sqliteRaw(join(dir, 'bench.db'), seconds);
  let ok = 0;
  try {
    const http = async (hot: boolean): Promise<[number, number]> => {
      const cpu = processCpuMs(server.pid);
      const result = await autocannon({
        url: `${server.url}/v1/wallet/spend`,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { 'content-type': 'application/json', 'x-bench-user': 'hot' },
        body: JSON.stringify({ amount: 1, reason: 'bench' }),
        requests: hot ? undefined : [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, headers: { ...(req.headers as object), 'x-bench-user': `w${(Math.random() * WALLETS) | 0}` } }) }],
      });
      if (result.non2xx) console.warn(`  ${hot ? 'hot' : 'many'}: ${result.non2xx} non-2xx answers`);
      ok += result['2xx'];
      return [result['2xx'] / seconds, ((processCpuMs(server.pid) - cpu) * 1000) / Math.max(1, result['2xx'])];
    };
    const samples: Record<string, number[]> = { hot: [], many: [], rawHot: [], rawMany: [] };
    const cpu: Record<string, number[]> = { hot: [], many: [] };
    for (let r = 0; r < rounds; r++) {
      const [h, hc] = await http(true);
      samples.hot.push(h);
      cpu.hot.push(hc);
      samples.rawHot.push(await raw.run(true));
      const [m, mc] = await http(false);
      samples.many.push(m);
      cpu.many.push(mc);
      samples.rawMany.push(await raw.run(false));
    }
    const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9);
    console.log(`\nWallet spends (${pgMode ? 'PostgreSQL' : 'SQLite'}, loopback, median of ${rounds} rounds x ${seconds}s, ${connections} connections)`);
    console.log(`  POST /v1/wallet/spend, one hot wallet        ${fmt(med.hot)} spends/s   ${median(cpu.hot).toFixed(0)} µs server CPU/spend`);
    console.log(`  raw conditional UPDATE, one row (floor)      ${fmt(med.rawHot)} updates/s`);
    console.log(`  POST /v1/wallet/spend, 1,000 wallets         ${fmt(med.many)} spends/s   ${median(cpu.many).toFixed(0)} µs server CPU/spend`);
    console.log(`  raw conditional UPDATE, 1,000 rows (floor)   ${fmt(med.rawMany)} updates/s`);
    console.log(`  hot / raw hot: ${(med.hot / med.rawHot).toFixed(3)} (target >= 0.30); many / raw many: ${(med.many / med.rawMany).toFixed(3)}`);

    // Invariants after the run, on the database the server wrote.
    const { Kysely, PostgresDialect, SqliteDialect, sql } = await import('kysely');
    const { verifyLedger } = await import('../src/modules/wallet/ledger-verify.js');
    const { default: SQLite } = await import('better-sqlite3');
    const db = pgMode
      ? new Kysely<never>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: pgUrl, max: 2, options: `-c search_path=${schema},public` }) }) })
      : new Kysely<never>({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'bench.db')) }) });
    const report = await verifyLedger(db as never);
    const spends = await sql<{ n: number | string }>`select count(*) as n from wallet_transfers where kind = 'spend'`.execute(db);
    const negative = await sql<{ n: number | string }>`select count(*) as n from wallet_accounts where balance < 0`.execute(db);
    // autocannon stops counting at the deadline: requests still in flight then (at most one per
    // connection per HTTP case) may have committed without their 201 being counted.
    const transfers = Number(spends.rows[0].n);
    const inFlight = connections * rounds * 2;
    const accounted = transfers >= ok && transfers - ok <= inFlight;
    console.log(
      `  invariants: wallet verify ${report.ok ? 'OK' : `FAILED (${report.problems.length} problems)`}; ${ok} answers 201 vs ${transfers} spend transfers ` +
        `(${transfers - ok} in flight at the cut-offs, at most ${inFlight}): ${accounted ? 'OK' : 'MISMATCH'}; wallets below zero: ${Number(negative.rows[0].n)}`,
    );
    await db.destroy();
  } finally {
    await server.stop();
    await raw.close();
    if (pgMode) {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.serve) await serve();
else await main();
