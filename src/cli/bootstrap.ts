import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, type LoadedConfig } from '../core/config/load.js';
import { resolveSecret } from '../core/config/secret.js';
import { createApp, createLogger, type NeptunoApp } from '../core/app.js';
import type { AnyModule } from '../core/module.js';
import { builtinModules } from '../modules/index.js';

export interface Bootstrap {
  loaded: LoadedConfig;
  modules: AnyModule[];
}

/** Imports the user modules named in `moduleFiles` (paths relative to the working directory). */
async function importModuleFiles(files: string[], cwd: string): Promise<AnyModule[]> {
  const out: AnyModule[] = [];
  // The kernel runs as built JavaScript; a module of your own may be TypeScript: load those
  // through tsx, registered only when one is listed.
  if (files.some((f) => /\.(c|m)?tsx?$/.test(f))) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  for (const file of files) {
    const mod = await import(pathToFileURL(resolve(cwd, file)).href);
    const def = mod.default as AnyModule | undefined;
    if (!def?.name) throw new Error(`${file} must default-export a module made with defineModule()`);
    out.push(def);
  }
  return out;
}

/**
 * Reads the configuration in two passes: kernel keys first (to learn `moduleFiles`), then the
 * whole file validated against every module's schema.
 */
export async function bootstrap(configFile?: string, cwd = process.cwd()): Promise<Bootstrap> {
  const modules = await availableModules(configFile, cwd);
  const loaded = loadConfig({ file: configFile, cwd, modules });
  return { loaded, modules };
}

/** Built-in modules plus the user's `moduleFiles` (read from the kernel keys alone). */
export async function availableModules(configFile?: string, cwd = process.cwd()): Promise<AnyModule[]> {
  // Only `moduleFiles` is read here; the second pass (bootstrap, doctor) judges the rest.
  const first = loadConfig({ file: configFile, cwd, productionChecks: false });
  return [...builtinModules, ...(await importModuleFiles(first.config.moduleFiles, cwd))];
}

export async function buildApp(configFile: string | undefined, opts: { migrate?: boolean; workers?: boolean } = {}): Promise<NeptunoApp> {
  const { loaded, modules } = await bootstrap(configFile);
  const secret = resolveSecret(loaded.config);
  return createApp({
    config: loaded.config,
    moduleConfigs: loaded.moduleConfigs,
    modules,
    secret,
    logger: createLogger(loaded.config),
    migrate: opts.migrate,
    workers: opts.workers,
  });
}

/** Runs fn with an app that serves nothing and runs no jobs (for one-shot commands), then closes it. */
export async function withApp<T>(configFile: string | undefined, fn: (app: NeptunoApp) => Promise<T>): Promise<T> {
  const app = await buildApp(configFile, { workers: false });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
