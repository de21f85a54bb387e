/**
 * Plans API-call metering: an authenticated GET with the plans module counting every call,
 * exact (one conditional upsert per call) or buffered (counted in memory, written every second),
 * against the same server with the meter off, each in its own process, interleaved rounds.
 *   node bin/run-ts.mjs bench/plans-metering.ts [--rounds 3] [--duration 5]
 * BENCH_DATABASE_URL / BENCH_REDIS_URL run it on PostgreSQL + Redis.
 */
import { parseArgs } from 'node:util';
import { compare, measure, printTable, startServer } from './lib.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const durationSec = Number(values.duration);

const servers = {
  'meter off (floor)': await startServer('plans-metering', { BENCH_METERING: 'off' }),
  'meter on, exact': await startServer('plans-metering', { BENCH_METERING: 'on' }),
  'meter on, buffered': await startServer('plans-metering', { BENCH_METERING: 'buffered' }),
};
try {
  const results = await compare(
    Object.entries(servers).map(([name, s]) => ({
      name,
      run: async () => {
        const m = await measure(s, { path: '/v1/bench/ping', durationSec, headers: { authorization: 'Bench user-1' } });
        if (m.non2xx) throw new Error(`${name}: ${m.non2xx} non-2xx answers`);
        return { rate: m.rps, cpuUs: m.cpuUsPerRequest };
      },
    })),
    rounds,
  );
  printTable(`Plans API-call metering (median of ${rounds} rounds x ${durationSec}s, 50 connections, one owner)`, results, 'meter off (floor)');
  const off = results.get('meter off (floor)')!;
  for (const name of ['meter on, exact', 'meter on, buffered']) {
    const on = results.get(name)!;
    console.log(`${name} / off: ${((on.rate / off.rate) * 100).toFixed(1)}% of throughput, ${((off.cpuUs! / on.cpuUs!) * 100).toFixed(1)}% CPU efficiency`);
  }
} finally {
  for (const s of Object.values(servers)) await s.stop();
}
