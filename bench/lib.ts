import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import autocannon from 'autocannon';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Server {
  url: string;
  pid: number;
  /** What the server printed up to its `listening` line (e.g. other addresses it announces). */
  output: string;
  /** CPU time (user + system) the server process has used so far, in milliseconds. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * utime + stime of a process from /proc (Linux): CPU spent per request is steadier than
 * requests per second on a machine shared with other work.
 */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

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
        pid: child.pid!,
        output: buffer,
        cpuMs: () => processCpuMs(child.pid!),
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
export async function load(opts: LoadOptions): Promise<{ rps: number; requests: number; non2xx: number; p99: number }> {
  const result = await autocannon({
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: opts.headers,
    body: opts.body,
    connections: opts.connections ?? 50,
    duration: opts.durationSec ?? 5,
  });
  const ok = result['2xx'];
  return { rps: ok / (opts.durationSec ?? 5), requests: ok, non2xx: result.non2xx, p99: result.latency.p99 };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Loads a server and measures both throughput and the server's CPU time per request. */
export async function measure(server: Server, opts: Omit<LoadOptions, 'url'> & { path: string }) {
  const before = server.cpuMs();
  const r = await load({ ...opts, url: `${server.url}${opts.path}` });
  const cpuUsPerRequest = ((server.cpuMs() - before) * 1000) / Math.max(r.requests, 1);
  return { ...r, cpuUsPerRequest };
}

export interface Sample {
  /** Throughput: events or requests per second. */
  rate: number;
  /** Server CPU microseconds per unit of work (null when not measured). */
  cpuUs: number | null;
}

/**
 * Runs each case `rounds` times, interleaved (A B C A B C …) so drift on a shared machine hits
 * every case alike; returns the median of each metric per case.
 */
export async function compare(cases: Array<{ name: string; run: () => Promise<Sample> }>, rounds: number): Promise<Map<string, Sample>> {
  const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) samples.get(c.name)!.push(await c.run());
  }
  return new Map(
    [...samples].map(([name, xs]) => {
      const cpu = xs.map((x) => x.cpuUs).filter((x): x is number => x !== null);
      return [name, { rate: median(xs.map((x) => x.rate)), cpuUs: cpu.length ? median(cpu) : null }];
    }),
  );
}

/**
 * Prints throughput and its ratio to the baseline, and, where measured, server CPU per unit and
 * the CPU-efficiency ratio (baseline CPU / case CPU), which other load on the machine disturbs less.
 */
export function printTable(title: string, results: Map<string, Sample>, baseline: string, unit = 'req/s') {
  const base = results.get(baseline)!;
  console.log(`\n${title}`);
  for (const [name, v] of results) {
    const pct = ((v.rate / base.rate) * 100).toFixed(1);
    const cpu = v.cpuUs !== null && base.cpuUs !== null ? `   ${v.cpuUs.toFixed(1).padStart(7)} µs CPU/unit  (${((base.cpuUs / v.cpuUs) * 100).toFixed(1)}% CPU efficiency)` : '';
    console.log(`  ${name.padEnd(40)} ${Math.round(v.rate).toString().padStart(9)} ${unit}  ${pct.padStart(6)}%${cpu}`);
  }
}
