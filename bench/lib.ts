import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import autocannon from 'autocannon';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Server {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `bench/servers/<name>.ts` in its own process (so the load generator does not share its
 * event loop) and waits for it to print `listening <url>`.
 */
export function startServer(name: string, env: Record<string, string> = {}): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), resolve(root, 'bin/run-ts.mjs'), resolve(root, `bench/servers/${name}.ts`)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolveStart, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /^listening (\S+)$/m.exec(buffer);
      if (!match) return;
      child.stdout!.off('data', onData);
      // Keep draining stdout (request logs) so the child never blocks on a full pipe.
      child.stdout!.resume();
      resolveStart({
        url: match[1],
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bench server ${name} exited with ${code}`)));
  });
}

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  durationSec?: number;
}

/** Requests per second (2xx only) over a fixed duration on loopback. */
export async function load(opts: LoadOptions): Promise<{ rps: number; non2xx: number; p99: number }> {
  const result = await autocannon({
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: opts.headers,
    body: opts.body,
    connections: opts.connections ?? 50,
    duration: opts.durationSec ?? 5,
  });
  const ok = result['2xx'];
  return { rps: ok / (opts.durationSec ?? 5), non2xx: result.non2xx, p99: result.latency.p99 };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs each case `rounds` times, interleaved (A B C A B C …) so drift on a shared machine hits
 * every case alike; returns the median requests/s per case.
 */
export async function compare(
  cases: Array<{ name: string; run: () => Promise<number> }>,
  rounds: number,
): Promise<Map<string, number>> {
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) samples.get(c.name)!.push(await c.run());
  }
  return new Map([...samples].map(([name, xs]) => [name, median(xs)]));
}

export function printTable(title: string, results: Map<string, number>, baseline: string, unit = 'req/s') {
  const base = results.get(baseline)!;
  console.log(`\n${title}`);
  for (const [name, value] of results) {
    console.log(`  ${name.padEnd(42)} ${Math.round(value).toString().padStart(9)} ${unit}   ${((value / base) * 100).toFixed(1).padStart(6)}% of ${baseline}`);
  }
}
