import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../bin/neptuno.mjs');

/** Far above the configured 2 s grace plus the bounded log flush; the old code never exited. */
const EXIT_BOUND_MS = 20_000;

describe('neptuno start with a stalled log collector', { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'neptuno-stall-'));
    // A TypeScript module makes the CLI load tsx, which is what made fd 1 non-blocking in the
    // field (and pino's exit flush spin on EAGAIN).
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'probe.ts'), "const probe: { name: string } = { name: 'probe' };\nexport default probe;\n");
    writeFileSync(
      join(dir, 'neptuno.yaml'),
      'server: { host: 127.0.0.1, port: 0, shutdownTimeoutMs: 2000 }\nmoduleFiles: [./probe.ts]\nlog: { level: debug, requests: all }\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps answering while stdout is full, and exits soon after SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'start'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH! } });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      // Read stdout until the server is ready, then never again: the pipe fills up.
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        const onData = (d: Buffer) => {
          out += d;
          const line = out.split('\n').find((l) => l.includes('"Neptuno ready"'));
          if (!line) return;
          child.stdout!.off('data', onData);
          child.stdout!.pause();
          ok(JSON.parse(line).address);
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', (d) => (out += d));
        void exited.then((code) => fail(new Error(`neptuno start exited with ${code}: ${out}`)));
      });
      // 150 request lines of ~4 kB (the URL is logged): several times what the pipe (64 kB) and
      // this side's reader buffer hold.
      const padded = `${url}/health/live?pad=${'x'.repeat(4000)}`;
      for (let round = 0; round < 15; round++) {
        const batch = await Promise.all(Array.from({ length: 10 }, () => fetch(padded)));
        expect(batch.every((r) => r.status === 200)).toBe(true);
      }
      expect((await fetch(`${url}/health/live`)).status).toBe(200);

      child.kill('SIGTERM');
      let bound: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        exited.then((code) => ({ code })),
        new Promise<'still running'>((r) => (bound = setTimeout(() => r('still running'), EXIT_BOUND_MS))),
      ]);
      clearTimeout(bound);
      expect(outcome).toEqual({ code: 0 });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
