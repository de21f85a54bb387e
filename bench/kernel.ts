/**
 * Kernel overhead: raw node:http, bare Fastify and Neptuno's GET /health/live (all kernel
 * middleware), each in its own process, loaded by autocannon on loopback, interleaved rounds.
 *   node bin/run-ts.mjs bench/kernel.ts [--rounds 3] [--duration 5]
 * Target: Neptuno >= 85% of bare Fastify.
 */
import { parseArgs } from 'node:util';
import { compare, measure, printTable, startServer } from './lib.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const durationSec = Number(values.duration);

const servers = {
  'node:http hello': await startServer('node-http'),
  'bare Fastify hello': await startServer('fastify'),
  'Neptuno GET /health/live': await startServer('neptuno'),
};
try {
  const results = await compare(
    Object.entries(servers).map(([name, s]) => ({
      name,
      run: async () => {
        const m = await measure(s, { path: '/health/live', durationSec });
        return { rate: m.rps, cpuUs: m.cpuUsPerRequest };
      },
    })),
    rounds,
  );
  printTable(`Kernel overhead (median of ${rounds} rounds x ${durationSec}s, 50 connections)`, results, 'bare Fastify hello');
  const n = results.get('Neptuno GET /health/live')!;
  const f = results.get('bare Fastify hello')!;
  console.log(`\nNeptuno / bare Fastify: ${((n.rate / f.rate) * 100).toFixed(1)}% of throughput, ${((f.cpuUs! / n.cpuUs!) * 100).toFixed(1)}% CPU efficiency (target >= 85%)`);
} finally {
  for (const s of Object.values(servers)) await s.stop();
}
