#!/usr/bin/env node
// Transpiles src/ to dist/ (esbuild, one file per module, no bundling, no type check: `npm run
// typecheck` does that) so `neptuno start` loads plain JavaScript with no loader hooks: start-up
// is then dominated by the dependencies, not by compiling TypeScript on the fly.
// Runs on `npm install` (prepare) and, when sources changed since, from bin/neptuno.mjs.
import { build, stop } from 'esbuild';
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const out = join(root, 'dist');

/** Files under dir, skipping tests. src/testing is built too: `neptuno/testing` runs from dist/. */
function walk(dir, files = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, files);
    else if (!/\.test\.ts$|\.d\.ts$/.test(entry.name)) files.push(path);
  }
  return files;
}

export async function buildDist() {
  // A Docker layer installing dependencies before copying the sources has nothing to build yet.
  if (!existsSync(src)) return;
  rmSync(out, { recursive: true, force: true });
  const files = walk(src);
  await build({
    entryPoints: files.filter((f) => f.endsWith('.ts')),
    outdir: out,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // Data files read next to their module (e.g. the common-password list).
  for (const f of files.filter((f) => !f.endsWith('.ts'))) cpSync(f, join(out, relative(root, f)));
  writeFileSync(join(out, '.stamp'), new Date().toISOString());
  // The esbuild service is a child process (~70 MB): not kept alive under the server that follows.
  await stop();
}

/** True when dist/ is missing or older than any file under src/. */
export function distIsStale() {
  const stamp = join(out, '.stamp');
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  const newer = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((e) => {
      const path = join(dir, e.name);
      return e.isDirectory() ? newer(path) : statSync(path).mtimeMs > built;
    });
  return existsSync(src) && newer(src);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildDist();
