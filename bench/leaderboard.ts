/**
 * Leaderboard queries with 100,000 players: top N and the caller's own rank, on SQLite (always)
 * and PostgreSQL (when NEPTUNO_BENCH_DATABASE_URL is set; a scratch schema is created and dropped).
 *   node bin/run-ts.mjs bench/leaderboard.ts [--players 100000] [--samples 200]
 * Uses the module's own migrations and query functions, so the figures are those of the real code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { createDatabase, type Database } from '../src/core/db/database.js';
import { migrations, type GamDb } from '../src/modules/gamification/schema.js';
import { periodKey, rankOf, topPlayers } from '../src/modules/gamification/leaderboard.js';

const { values } = parseArgs({ options: { players: { type: 'string', default: '100000' }, samples: { type: 'string', default: '200' } } });
const PLAYERS = Number(values.players);
const SAMPLES = Number(values.samples);

/** Deterministic pseudo-random numbers, so both databases hold the same players. */
function rng(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

async function seed(database: Database) {
  const db = database.db as unknown as GamDb;
  await migrations['0001_gamification'].up(database.db);
  const now = new Date();
  const periods = ['all', periodKey('weekly', now), periodKey('monthly', now)];
  const rand = rng(42);
  const started = performance.now();
  const CHUNK = 500;
  await database.tx(async (trx) => {
    for (let i = 0; i < PLAYERS; i += CHUNK) {
      const rows = [];
      for (let j = i; j < Math.min(PLAYERS, i + CHUNK); j++) {
        // Long-tailed scores: most players have little, a few have a lot; many ties at the bottom.
        const all = Math.floor(rand() ** 3 * 50_000);
        const updated = new Date(now.getTime() - Math.floor(rand() * 30 * 86_400_000)).toISOString();
        const actor = `${j % 3 === 0 ? 'guest' : 'user'}:p${j}`;
        rows.push({ actor, period: periods[0], points: all, updated_at: updated });
        rows.push({ actor, period: periods[1], points: Math.floor(all / 10), updated_at: updated });
        rows.push({ actor, period: periods[2], points: Math.floor(all / 3), updated_at: updated });
      }
      await trx.insertInto('gam_totals').values(rows).execute();
    }
  });
  // Statistics and visibility map, as autovacuum keeps them on a live database (index-only scans).
  await sql.raw(database.dialect === 'postgres' ? 'vacuum analyze gam_totals' : 'analyze').execute(database.db);
  return { periods, seedSeconds: (performance.now() - started) / 1000, db };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.floor(s.length * 0.95)] };
};

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 10; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

async function measure(label: string, database: Database) {
  const { periods, seedSeconds, db } = await seed(database);
  console.log(`\n${label}: ${PLAYERS.toLocaleString('en-US')} players x ${periods.length} periods seeded in ${seedSeconds.toFixed(1)} s`);
  const rand = rng(7);
  const someone = () => `${Math.floor(rand() * 3) === 0 ? 'guest' : 'user'}:p${Math.floor(rand() * PLAYERS)}`;
  const rows: Array<[string, number[]]> = [];
  for (const [name, key] of [
    ['all-time', periods[0]],
    ['weekly', periods[1]],
  ] as const) {
    rows.push([`top 10 (${name})`, await time(() => topPlayers(db, key, 10, true))]);
    rows.push([`top 100 (${name})`, await time(() => topPlayers(db, key, 100, true))]);
    rows.push([`own rank, random player (${name})`, await time(() => rankOf(db, key, someone(), true))]);
    rows.push([`top 10 + own rank, as the endpoint (${name})`, await time(() => Promise.all([topPlayers(db, key, 10, true), rankOf(db, key, someone(), true)]))]);
  }
  rows.push([`own rank of the lowest scorer (all-time, worst case)`, await time(async () => {
    const low = await db.selectFrom('gam_totals').select('actor').where('period', '=', 'all').where('points', '>', 0).orderBy('points').limit(1).executeTakeFirstOrThrow();
    return rankOf(db, 'all', low.actor, true);
  })]);
  rows.push([`top 10 users only (all-time, guests excluded)`, await time(() => topPlayers(db, periods[0], 10, false))]);
  for (const [name, xs] of rows) {
    const s = stats(xs);
    console.log(`  ${name.padEnd(52)} median ${s.median.toFixed(3).padStart(8)} ms   p95 ${s.p95.toFixed(3).padStart(8)} ms`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'neptuno-bench-board-'));
const sqlite = createDatabase({ url: `sqlite:${join(dir, 'board.db')}` });
try {
  await measure('SQLite (WAL, one file)', sqlite);
} finally {
  await sqlite.destroy();
  rmSync(dir, { recursive: true, force: true });
}

const pgUrl = process.env.NEPTUNO_BENCH_DATABASE_URL;
if (pgUrl) {
  const schema = `bench_board_${process.pid}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema "${schema}"`);
  const database = createDatabase({ url: pgUrl, schema });
  try {
    await measure('PostgreSQL', database);
  } finally {
    await database.destroy();
    await admin.query(`drop schema "${schema}" cascade`);
    await admin.end();
  }
} else {
  console.log('\n(PostgreSQL skipped: set NEPTUNO_BENCH_DATABASE_URL to measure it too)');
}
