import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from 'typebox/value';
import type { Logger } from 'pino';
import { AppConfigSchema, type AppConfig } from '../core/config/schema.js';
import { createApp, type NeptunoApp } from '../core/app.js';
import type { AnyModule, App, KernelContext } from '../core/module.js';
import { isolatedDatabase, uniquePrefix, type TestTarget } from './targets.js';

/**
 * The secret test apps use unless told otherwise. A `neptuno` command run against a test app's
 * database needs it too (NEPTUNO_SECRET): a database refuses processes with another secret.
 */
export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface TestAppOptions {
  target: TestTarget;
  modules?: AnyModule[];
  /** Raw neptuno.yaml-shaped overrides, deep-merged over the test defaults. */
  config?: Record<string, unknown>;
  /** Start the job worker and crons (default false: tests that need them say so). */
  workers?: boolean;
  /** Another replica of this app: same database (file or schema) and Redis prefix. */
  replicaOf?: TestApp;
  /** Logger of the app (default: pino at `log.level`), e.g. to assert what it logged. */
  logger?: Logger;
  /** The application secret (default: one fixed test secret, shared by replicas). */
  secret?: string;
}

export interface TestApp {
  app: App;
  /** Raw config the app was built from (replicas reuse it). */
  raw: Record<string, unknown>;
  schema?: string;
  ctx: KernelContext;
  neptuno: NeptunoApp;
  config: AppConfig;
  close(): Promise<void>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Obj, v) : v;
  return out;
}

/** Validates a raw config the way start-up does: defaults applied, unknown keys rejected. */
export function buildConfig(raw: Obj, modules: AnyModule[]): { config: AppConfig; moduleConfigs: Record<string, unknown> } {
  const moduleConfigs: Record<string, unknown> = {};
  const rawModules = (raw.modules ?? {}) as Record<string, Obj>;
  const kernelModules: Record<string, { enabled: boolean }> = {};
  for (const m of modules) {
    const { enabled = true, ...section } = rawModules[m.name] ?? {};
    kernelModules[m.name] = { enabled: enabled as boolean };
    const value = m.config ? Value.Default(m.config, structuredClone(section)) : section;
    if (m.config && !Value.Check(m.config, value)) {
      throw new Error(`modules.${m.name}: ${Value.Errors(m.config, value).map((e) => `${e.instancePath} ${e.message}`).join('; ')}`);
    }
    moduleConfigs[m.name] = value;
  }
  const config = Value.Default(AppConfigSchema, structuredClone({ ...raw, modules: kernelModules })) as AppConfig;
  if (!Value.Check(AppConfigSchema, config)) {
    throw new Error(Value.Errors(AppConfigSchema, config).map((e) => `${e.instancePath} ${e.message}`).join('; '));
  }
  return { config, moduleConfigs };
}

/** A full Neptuno app on an isolated SQLite file or PostgreSQL schema (+ Redis prefix). Use app.inject(). */
export async function createTestApp(opts: TestAppOptions): Promise<TestApp> {
  const primary = opts.replicaOf;
  // A replica shares the primary's database and Redis prefix; only the primary drops them.
  const db = primary
    ? { url: String((primary.raw.database as Obj).url), schema: primary.schema, cleanup: async () => {} }
    : await isolatedDatabase(opts.target);
  // Each app its own storage folder (replicas share the primary's through raw), removed on close.
  const storageDir = primary ? null : mkdtempSync(join(tmpdir(), 'neptuno-files-'));
  const dropStorage = () => storageDir && rmSync(storageDir, { recursive: true, force: true });
  const raw = primary
    ? deepMerge(primary.raw, opts.config ?? {})
    : deepMerge(
        {
          env: 'test',
          database: { url: db.url },
          redis: { url: opts.target.redisUrl, prefix: uniquePrefix() },
          log: { level: process.env.NEPTUNO_TEST_LOG ?? 'silent' },
          jobs: { pollIntervalMs: 25 },
          storage: { url: `file:${storageDir}` },
        },
        opts.config ?? {},
      );
  const modules = opts.modules ?? [];
  try {
    const { config, moduleConfigs } = buildConfig(raw, modules);
    const neptuno = await createApp({
      config,
      moduleConfigs,
      modules,
      secret: opts.secret ?? TEST_SECRET,
      databaseSchema: db.schema,
      workers: opts.workers ?? false,
      logger: opts.logger,
    });
    return {
      raw,
      schema: db.schema,
      app: neptuno.server,
      ctx: neptuno.ctx,
      neptuno,
      config,
      async close() {
        await neptuno.close();
        await db.cleanup();
        dropStorage();
      },
    };
  } catch (err) {
    await db.cleanup();
    dropStorage();
    throw err;
  }
}
