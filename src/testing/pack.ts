import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/*
 * The package as a user gets it, for tests that run projects outside the repository (the
 * consumer project, the templates of `neptuno create`): `npm pack` of this repository (its
 * prepare and prepack scripts build dist/ and the declarations in types/), extracted as
 * node_modules/neptuno of the project, with every other dependency symlinked from this
 * repository's node_modules. No network.
 */
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const repoModules = realpathSync(join(root, 'node_modules'));
const temp: string[] = [];

/** The environment of a fresh shell: nothing from the Vitest run or the npm script around it. */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(VITEST|TINYPOOL|npm_lifecycle_|npm_package_)/.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
  }
  return env;
}

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `neptuno-${label}-`));
  temp.push(dir);
  return dir;
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

/** Helpers bound to this repository; call cleanupPackHelpers() in afterAll. */
export function packHelpers() {
  return { root, repoModules, tempDir, run, pack };
}

export function cleanupPackHelpers(): void {
  for (const dir of temp.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Puts the tarball at <dir>/node_modules/neptuno and links every other dependency of this repository. */
export async function installPacked(dir: string, tarball: string): Promise<void> {
  const modules = join(dir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  const untar = await run('tar', ['-xzf', tarball, '-C', modules], dir);
  expect(untar.code, untar.out).toBe(0);
  renameSync(join(modules, 'package'), join(modules, 'neptuno'));
  for (const name of readdirSync(repoModules)) {
    if (name !== 'neptuno' && name !== '.bin') symlinkSync(join(repoModules, name), join(modules, name));
  }
  // `npm start` runs `neptuno start`: the bin link npm would make.
  mkdirSync(join(modules, '.bin'), { recursive: true });
  symlinkSync('../neptuno/bin/neptuno.mjs', join(modules, '.bin/neptuno'));
}
