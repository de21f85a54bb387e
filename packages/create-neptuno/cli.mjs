// The conversation of `npm create neptuno` and `neptuno create` / `neptuno template apply`:
// prompts when a person is at the terminal, flags for scripts and CI (--yes).
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { createProject, listTemplates, OPTIONAL_MODULES, planApply, getTemplate } from './scaffold.mjs';

/** @param {string} question @param {string} fallback */
async function ask(rl, question, fallback) {
  const answer = (await rl.question(`${question} (${fallback}): `)).trim();
  return answer || fallback;
}

/**
 * @param {{ dir?: string, template?: string, modules?: string, yes?: boolean, install?: boolean,
 *   neptunoVersion?: string, log?: (line: string) => void }} o
 */
export async function runCreate(o) {
  const log = o.log ?? console.log;
  const interactive = !o.yes && process.stdin.isTTY;
  const rl = interactive ? createInterface({ input: process.stdin, output: process.stdout }) : null;
  try {
    let dir = o.dir;
    let template = o.template;
    let modules = o.modules?.split(',').map((m) => m.trim()).filter(Boolean);
    if (rl) {
      dir ??= await ask(rl, 'Project folder', 'my-campaign');
      if (!template) {
        log('Templates:');
        for (const t of listTemplates()) log(`  ${t.name.padEnd(9)} ${t.title.en} · ${t.title.es}: ${t.description.en}`);
        template = await ask(rl, 'Template', 'campaign');
      }
      if (!modules) {
        const preset = getTemplate(template).modules.join(',');
        modules = (await ask(rl, `Modules on (${OPTIONAL_MODULES.join(', ')})`, preset)).split(',').map((m) => m.trim()).filter(Boolean);
      }
    }
    if (!dir) throw new Error('Give the project folder: npm create neptuno@latest my-campaign');
    const made = createProject({ dir, template: template ?? 'campaign', modules, neptunoVersion: o.neptunoVersion });
    log(`Created ${made.dir} from the ${template ?? 'campaign'} template (${made.files.length} files).`);
    if (o.install !== false) {
      log('Installing dependencies (npm install)…');
      const run = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: made.dir, stdio: 'inherit' });
      if (run.status !== 0) throw new Error('npm install failed: run it again in the project folder');
    }
    log(`\nNext:\n  cd ${relative(process.cwd(), made.dir) || '.'}${o.install === false ? '\n  npm install' : ''}\n  npm start`);
    return made;
  } finally {
    rl?.close();
  }
}

/**
 * Applies a template to the project in `dir`: writes what is missing, leaves identical files,
 * and for each file that differs shows a diff and asks (never overwrites without a yes).
 * @param {{ dir: string, template: string, modules?: string, yes?: boolean, diff?: (a: string, b: string, path: string) => string, log?: (line: string) => void }} o
 */
export async function runApply(o) {
  const log = o.log ?? console.log;
  const plan = planApply({ dir: o.dir, template: o.template, modules: o.modules?.split(',').map((m) => m.trim()).filter(Boolean) });
  const rl = !o.yes && process.stdin.isTTY ? createInterface({ input: process.stdin, output: process.stdout }) : null;
  const done = { created: [], replaced: [], kept: [], same: [] };
  try {
    for (const file of plan) {
      const target = join(o.dir, file.path);
      if (file.action === 'same') {
        done.same.push(file.path);
        continue;
      }
      if (file.action === 'differs') {
        log(o.diff ? o.diff(file.current ?? '', file.next, file.path) : `${file.path} differs from the template`);
        const replace = rl ? /^y/i.test(await ask(rl, `Replace ${file.path}?`, 'n')) : false;
        if (!replace) {
          done.kept.push(file.path);
          continue;
        }
      }
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.next);
      (file.action === 'create' ? done.created : done.replaced).push(file.path);
    }
  } finally {
    rl?.close();
  }
  log(`Template ${o.template}: ${done.created.length} created, ${done.replaced.length} replaced, ${done.kept.length} kept as you edited them, ${done.same.length} already up to date.`);
  return done;
}
