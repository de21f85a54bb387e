/**
 * Time from `neptuno start` (a fresh process, as `npm start` runs it) to the first 200 from
 * /health/ready, on a new SQLite database (first start: creates and migrates it) and on an
 * existing one. Target: under 2 s.
 *   node bin/run-ts.mjs bench/startup.ts [--runs 5]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './lib.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });

async function timeToReady(dataDir: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin/neptuno.mjs'), 'start'], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: `sqlite:${join(dataDir, 'neptuno.db')}`, NEPTUNO_DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const address = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"Neptuno ready"'));
      if (line) ok(JSON.parse(line).address);
    });
    child.on('exit', (code) => fail(new Error(`exited with ${code}`)));
  });
  for (;;) {
    const res = await fetch(`${address}/health/ready`).catch(() => null);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - started;
  await new Promise<void>((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
  return ms;
}

const fresh: number[] = [];
const warm: number[] = [];
for (let i = 0; i < Number(values.runs); i++) {
  const dir = mkdtempSync(join(tmpdir(), 'neptuno-startup-'));
  fresh.push(await timeToReady(dir));
  warm.push(await timeToReady(dir));
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nneptuno start -> /health/ready 200 (median of ${values.runs}, every shipped module on)`);
console.log(`  new database (create + migrate): ${Math.round(median(fresh))} ms   [${fresh.map(Math.round).join(', ')}]`);
console.log(`  existing database:               ${Math.round(median(warm))} ms   [${warm.map(Math.round).join(', ')}]`);
