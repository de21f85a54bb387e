import type { AnyModule } from './module.js';

export class ModuleGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModuleGraphError';
  }
}

/**
 * The enabled modules in dependency order. An enabled module whose dependency is disabled or
 * unknown stops start-up with a message naming both.
 */
export function resolveModules(all: AnyModule[], isEnabled: (name: string) => boolean): AnyModule[] {
  const byName = new Map<string, AnyModule>();
  for (const m of all) {
    if (byName.has(m.name)) throw new ModuleGraphError(`Two modules are named "${m.name}"`);
    byName.set(m.name, m);
  }
  const enabled = all.filter((m) => isEnabled(m.name));
  for (const m of enabled) {
    for (const dep of m.dependsOn ?? []) {
      if (!byName.has(dep)) throw new ModuleGraphError(`Module "${m.name}" depends on "${dep}", which does not exist.`);
      if (!isEnabled(dep)) {
        throw new ModuleGraphError(
          `Module "${m.name}" depends on "${dep}", which is disabled. Enable modules.${dep} or disable modules.${m.name} in neptuno.yaml.`,
        );
      }
    }
  }
  const ordered: AnyModule[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: AnyModule, path: string[]) => {
    if (state.get(m.name) === 'done') return;
    if (state.get(m.name) === 'visiting') throw new ModuleGraphError(`Module dependency cycle: ${[...path, m.name].join(' -> ')}`);
    state.set(m.name, 'visiting');
    for (const dep of m.dependsOn ?? []) visit(byName.get(dep)!, [...path, m.name]);
    state.set(m.name, 'done');
    ordered.push(m);
  };
  for (const m of enabled) visit(m, []);
  return ordered;
}
