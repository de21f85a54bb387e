// Scaffolds a Neptuno project from a template: `npm create neptuno@latest my-campaign` and
// `npx neptuno create <dir> --template <name>` both run this. No dependencies, so `npm create`
// starts at once; the project it writes depends on the `neptuno` package (not a clone).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPLATES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'templates');

/** Modules a template may switch on or off; identity (auth, guests, users, api-keys) is always on. */
export const OPTIONAL_MODULES = ['gamification', 'coupons', 'wallet', 'notifications', 'payments', 'plans', 'tracking'];

/**
 * @typedef {{ name: string, title: { es: string, en: string }, description: { es: string, en: string },
 *   modules: string[], theme: Record<string, string>,
 *   copy: { es: Record<string, string>, en: Record<string, string> } }} Template
 */

/** @returns {Template[]} every template, campaign first. */
export function listTemplates() {
  const names = readdirSync(TEMPLATES_DIR).filter((d) => d !== 'base' && existsSync(join(TEMPLATES_DIR, d, 'template.json')));
  const all = names.map((name) => ({ name, ...JSON.parse(readFileSync(join(TEMPLATES_DIR, name, 'template.json'), 'utf8')) }));
  return all.sort((a, b) => (a.name === 'campaign' ? -1 : b.name === 'campaign' ? 1 : a.name.localeCompare(b.name)));
}

/** @param {string} name */
export function getTemplate(name) {
  const found = listTemplates().find((t) => t.name === name);
  if (!found) throw new Error(`Unknown template "${name}". Templates: ${listTemplates().map((t) => t.name).join(', ')}`);
  return found;
}

/** @param {string} dir @returns {string[]} relative paths of every file under dir */
function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...walk(path).map((p) => join(entry, p)));
    else out.push(entry);
  }
  return out;
}

/**
 * The files of a project made from `template` (path → content), without writing anything:
 * templates/base, then the template's own files over it. `{{name}}` placeholders are filled;
 * `{{on:<module>}}` is true or false. `gitignore` becomes `.gitignore` (npm drops dotfiles named
 * .gitignore from packages).
 * @param {{ template: string, projectName: string, modules?: string[], neptunoVersion?: string }} o
 * @returns {Map<string, string>}
 */
export function renderProject(o) {
  const template = getTemplate(o.template);
  const modules = new Set(o.modules ?? template.modules);
  for (const m of modules) if (!OPTIONAL_MODULES.includes(m)) throw new Error(`Unknown module "${m}". Modules: ${OPTIONAL_MODULES.join(', ')}`);
  const values = {
    projectName: o.projectName,
    template: template.name,
    neptunoVersion: o.neptunoVersion ?? '^0.1.0',
    title_es: template.title.es,
    title_en: template.title.en,
    description_es: template.description.es,
    description_en: template.description.en,
    modulesList: [...modules].join(', '),
    copyJson: JSON.stringify(template.copy, null, 2),
    ...Object.fromEntries(Object.entries(template.theme).map(([k, v]) => [`theme_${k}`, v])),
  };
  const fill = (text) =>
    text.replace(/\{\{(on:)?([\w-]+)\}\}/g, (whole, on, key) => {
      if (on) return String(modules.has(key));
      return key in values ? String(values[key]) : whole;
    });
  const files = new Map();
  for (const root of [join(TEMPLATES_DIR, 'base'), join(TEMPLATES_DIR, template.name)]) {
    for (const rel of walk(root)) {
      if (rel === 'template.json') continue;
      const target = rel === 'gitignore' ? '.gitignore' : rel;
      files.set(target.split('\\').join('/'), fill(readFileSync(join(root, rel), 'utf8')));
    }
  }
  return files;
}

/**
 * Writes a new project into `dir` (which must not exist or be empty).
 * @param {{ dir: string, template: string, modules?: string[], neptunoVersion?: string }} o
 * @returns {{ dir: string, files: string[] }}
 */
export function createProject(o) {
  const dir = resolve(o.dir);
  if (existsSync(dir) && readdirSync(dir).length) throw new Error(`${dir} is not empty: pick a new folder name`);
  const projectName = basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'neptuno-app';
  const files = renderProject({ template: o.template, projectName, modules: o.modules, neptunoVersion: o.neptunoVersion });
  for (const [rel, content] of files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return { dir, files: [...files.keys()].sort() };
}

/**
 * What applying a template to an existing project would do, per file: `create` (absent),
 * `same` (identical) or `differs` (edited or older: never overwritten without asking).
 * @param {{ dir: string, template: string, modules?: string[] }} o
 * @returns {{ path: string, action: 'create' | 'same' | 'differs', current?: string, next: string }[]}
 */
export function planApply(o) {
  const dir = resolve(o.dir);
  const pkg = existsSync(join(dir, 'package.json')) ? JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) : {};
  const projectName = pkg.name ?? basename(dir);
  const files = renderProject({ template: o.template, projectName, modules: o.modules });
  return [...files].map(([path, next]) => {
    const file = join(dir, path);
    if (!existsSync(file)) return { path, action: 'create', next };
    const current = readFileSync(file, 'utf8');
    return { path, action: current === next ? 'same' : 'differs', current, next };
  });
}

