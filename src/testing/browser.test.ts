import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** Runs one browser suite in a fresh Vitest with Chromium "missing", as on a machine without it. */
function runDocsSuite(ci: boolean): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const env: Record<string, string> = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', NEPTUNO_CHROMIUM: '/nonexistent/chromium' };
    if (ci) env.CI = 'true';
    const child = spawn(process.execPath, [resolve(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', 'src/core/http/docs.browser.test.ts'], { cwd: ROOT, env });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => done({ code, output }));
  });
}

describe('browser suites without Chromium', { timeout: 120_000 }, () => {
  it('skip with a visible notice outside CI', async () => {
    const run = await runDocsSuite(false);
    expect(run.output).toContain('NOTICE: browser tests skipped: Chromium not found at /nonexistent/chromium');
    expect(run.output).toMatch(/1 skipped/);
    expect(run.code).toBe(0);
  });

  it('fail in CI, where they are required', async () => {
    const run = await runDocsSuite(true);
    expect(run.output).toContain('Chromium not found at /nonexistent/chromium');
    expect(run.code).toBe(1);
  });
});
