/**
 * Kernel overhead: raw node:http, bare Fastify and Neptuno's GET /health/live (all kernel
 * middleware), each in its own process, loaded by autocannon on loopback, interleaved rounds.
 *   node bin/run-ts.mjs bench/kernel.ts [--rounds 3] [--duration 5]
 * Target: Neptuno >= 85% of bare Fastify.
 */
import { parseArgs } from 'node:util';
import { compare, load, printTable, startServer } from './lib.js';

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
      run: async () => (await load({ url: `${s.url}/health/live`, durationSec })).rps,
    })),
    rounds,
  );
  printTable(`Kernel overhead (median of ${rounds} rounds x ${durationSec}s, 50 connections)`, results, 'bare Fastify hello');
  const ratio = results.get('Neptuno GET /health/live')! / results.get('bare Fastify hello')!;
  console.log(`\nNeptuno / bare Fastify: ${(ratio * 100).toFixed(1)}% (target >= 85%)`);
} finally {
  for (const s of Object.values(servers)) await s.stop();
}
