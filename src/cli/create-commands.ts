import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';

type CreateCli = typeof import('../../packages/create-neptuno/cli.mjs');
type Scaffold = typeof import('../../packages/create-neptuno/scaffold.mjs');

/**
 * packages/create-neptuno holds the templates and the scaffolder, shared with `npm create
 * neptuno`. From src/cli (sources) and from dist/src/cli (the built package) it is found by
 * walking up to the package root.
 */
function createNeptunoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'packages/create-neptuno/scaffold.mjs'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('packages/create-neptuno is missing from this installation of neptuno');
    dir = up;
  }
  return join(dir, 'packages/create-neptuno');
}
const load = async <T>(file: string) => (await import(pathToFileURL(join(createNeptunoDir(), file)).href)) as T;

/** A unified diff of what applying the template would change in one file. */
const unifiedDiff = (current: string, next: string, path: string) => createTwoFilesPatch(`${path} (yours)`, `${path} (template)`, current, next, '', '', { context: 2 });

export function registerCreateCommands(program: Command): void {
  program
    .command('create [dir]')
    .description('create a new project that depends on neptuno, from a sector template (campaign, retail, leads, saas)')
    .option('-t, --template <name>', 'template (default: asks, or campaign with --yes)')
    .option('-m, --modules <list>', "modules to switch on, comma-separated (default: the template's)")
    .option('-y, --yes', 'ask nothing: take the defaults')
    .option('--no-install', 'skip npm install')
    .action(async (dir: string | undefined, o: { template?: string; modules?: string; yes?: boolean; install: boolean }) => {
      const { runCreate } = await load<CreateCli>('cli.mjs');
      await runCreate({ dir, ...o });
    });

  const template = program.command('template').description('project templates');
  template
    .command('list')
    .description('list the templates')
    .action(async () => {
      const { listTemplates } = await load<Scaffold>('scaffold.mjs');
      for (const t of listTemplates()) console.log(`${t.name.padEnd(9)} ${t.title.en} (${t.title.es}): ${t.description.en} Modules: ${t.modules.join(', ')}.`);
    });
  template
    .command('apply <name>')
    .description("apply a template to this project: writes missing files, shows a diff and asks before replacing one you edited")
    .option('-d, --dir <dir>', 'project folder', '.')
    .option('-m, --modules <list>', "modules to switch on, comma-separated (default: the template's)")
    .option('-y, --yes', 'ask nothing: write missing files, keep every file that differs')
    .action(async (name: string, o: { dir: string; modules?: string; yes?: boolean }) => {
      const { runApply } = await load<CreateCli>('cli.mjs');
      await runApply({ dir: resolve(o.dir), template: name, modules: o.modules, yes: o.yes, diff: unifiedDiff });
    });
}
