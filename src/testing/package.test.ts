import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The package as a user gets it: `npm pack` of this repository (its prepare and prepack scripts
 * build dist/ and the declarations in types/), extracted as node_modules/neptuno of a project
 * outside the repository (test/consumer: a booking module with its own table, service, routes,
 * job, cron, event handlers and `declare module 'neptuno'` augmentations). That project must
 * type-check with its own tsc, and its Vitest suite, which runs the shipped auth and guests
 * modules through the `neptuno/testing` helpers, must pass (on PostgreSQL + Redis too when the
 * NEPTUNO_TEST_* variables are set). No network: the repository's other dependencies are
 * symlinked into the project's node_modules.
 */

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const repoModules = realpathSync(join(root, 'node_modules'));
const temp: string[] = [];
afterAll(() => {
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

const tempDir = (label: string) => {
  const dir = mkdtempSync(join(tmpdir(), `neptuno-${label}-`));
  temp.push(dir);
  return dir;
};

/** The environment of a fresh shell: nothing from the Vitest run or the npm script around it. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(VITEST|TINYPOOL|npm_lifecycle_|npm_package_)/.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
  }
  return env;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, out: `${stdout}\n${stderr}` });
    });
  });
}

/** npm pack of a copy of the repository, so building dist/ there never disturbs this checkout's. */
async function pack(): Promise<string> {
  const stage = tempDir('stage');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
  const entries = ['package.json', 'tsconfig.json', 'tsconfig.types.json', 'README.md', 'LICENSE', ...pkg.files];
  for (const entry of entries) {
    if (entry.startsWith('!') || entry === 'dist' || entry === 'types') continue; // built by the pack itself
    cpSync(join(root, entry), join(stage, entry), { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
  }
  symlinkSync(repoModules, join(stage, 'node_modules'));
  const out = tempDir('tarball');
  const packed = await run('npm', ['pack', '--offline', '--silent', '--pack-destination', out], stage);
  expect(packed.code, packed.out).toBe(0);
  const tarball = readdirSync(out).find((f) => f.endsWith('.tgz'));
  expect(tarball, packed.out).toBeDefined();
  return join(out, tarball!);
}

/** test/consumer with the tarball as node_modules/neptuno and every other dependency linked. */
async function project(tarball: string): Promise<string> {
  const dir = tempDir('consumer');
  cpSync(join(root, 'test/consumer'), dir, { recursive: true });
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  const untar = await run('tar', ['-xzf', tarball, '-C', modules], dir);
  expect(untar.code, untar.out).toBe(0);
  renameSync(join(modules, 'package'), join(modules, 'neptuno'));
  for (const name of readdirSync(repoModules)) {
    if (name !== 'neptuno' && name !== '.bin') symlinkSync(join(repoModules, name), join(modules, name));
  }
  return dir;
}

// About 35 s of CPU (pack with declarations, the project's tsc, its Vitest run); the timeout allows for a loaded CI machine.
describe('the packed package', () => {
  it('builds and tests a module outside the repository', { timeout: 600_000 }, async () => {
    const dir = await project(await pack());
    const typed = await run(process.execPath, [join(repoModules, 'typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
    expect(typed.code, typed.out).toBe(0);
    const tested = await run(process.execPath, [join(repoModules, 'vitest/vitest.mjs'), 'run', '--reporter=dot'], dir);
    expect(tested.code, tested.out).toBe(0);
    expect(tested.out).toMatch(/Tests\s+.*\d+ passed/);
  });
});
