import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real `neptuno` command of this repository (bin/neptuno.mjs). */
export const NEPTUNO_BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../bin/neptuno.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `neptuno` command in `cwd` with only `env` on top of PATH (LOG_LEVEL warn unless
 * given), feeding `input` on standard input; resolves with its exit code and output.
 * @example const { code, stdout } = await runNeptuno(['jobs', 'list'], dir, { DATABASE_URL });
 */
export function runNeptuno(args: string[], cwd: string, env: Record<string, string> = {}, input = ''): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [NEPTUNO_BIN, ...args], { cwd, env: { PATH: process.env.PATH!, LOG_LEVEL: 'warn', ...env } });
    child.stdin.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

export interface StartedNeptuno {
  child: ChildProcess;
  /** The address from the "Neptuno ready" log line. */
  url: string;
  exited: Promise<number | null>;
}

/** Starts `neptuno start` and resolves with its address once it logs that it is ready; rejects if it exits first. */
export function startNeptuno(cwd: string, env: Record<string, string>): Promise<StartedNeptuno> {
  const child = spawn(process.execPath, [NEPTUNO_BIN, 'start'], { cwd, env: { PATH: process.env.PATH!, ...env } });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"Neptuno ready"'));
      if (line) ok({ child, url: (JSON.parse(line) as { address: string }).address, exited });
    });
    child.stderr!.on('data', (d) => (out += d));
    void exited.then((code) => fail(new Error(`neptuno start exited with ${code}: ${out}`)));
  });
}
