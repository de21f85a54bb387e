import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupPackHelpers, installPacked, packHelpers } from './pack.js';

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

const { root, repoModules, tempDir, run, pack } = packHelpers();
afterAll(() => cleanupPackHelpers());

/** test/consumer with the tarball as node_modules/neptuno and every other dependency linked. */
async function project(tarball: string): Promise<string> {
  const dir = tempDir('consumer');
  cpSync(join(root, 'test/consumer'), dir, { recursive: true });
  await installPacked(dir, tarball);
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
