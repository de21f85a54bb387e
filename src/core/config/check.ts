import { join } from 'node:path';
import { isConfigError } from './errors.js';
import { loadConfig, type LoadedConfig, type ModuleConfigSource } from './load.js';
import type { AppConfig } from './schema.js';

/** Result of `neptuno config check`: lines to print and the process exit code. */
export type ConfigCheckResult =
  | { ok: true; exitCode: 0; summary: string[] }
  | { ok: false; exitCode: 1; errors: string[] };

export interface CheckOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Loads and validates the configuration as `neptuno start` would (file, env overrides, module
 * sections, production checks) without starting anything or writing any file. Never throws for
 * a bad configuration: every problem comes back as one printable line.
 */
export function checkConfigFile(file: string | undefined, modules: ModuleConfigSource[], opts: CheckOptions = {}): ConfigCheckResult {
  try {
    const loaded = loadConfig({ file, modules, env: opts.env, cwd: opts.cwd });
    return { ok: true, exitCode: 0, summary: summarize(loaded) };
  } catch (err) {
    const errors = isConfigError(err) ? err.lines() : [`configuration could not be loaded: ${(err as Error)?.message ?? String(err)}`];
    return { ok: false, exitCode: 1, errors };
  }
}

/** A password in a URL is replaced, so the summary can be pasted into a ticket. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

const docsOn = (config: AppConfig) => (config.server.docs === 'auto' ? config.env !== 'production' : config.server.docs);

function metricsWhere({ metrics, server, env }: AppConfig): string {
  if (metrics.port !== null) return `separate listener on ${metrics.host ?? server.host}:${metrics.port}`;
  if (metrics.token) return '/metrics on the API port with the bearer token';
  return env === 'production' ? 'not served (set metrics.port or metrics.token)' : '/metrics, public (development)';
}

function summarize({ config, file, envOverrides }: LoadedConfig): string[] {
  const modules = Object.entries(config.modules).map(([name, m]) => `${name} (${m.enabled ? 'on' : 'off'})`);
  const secret = config.secret
    ? 'configured'
    : `not set: a development secret is kept in ${join(config.dataDir, 'secret')}`;
  return [
    `configuration OK: ${file ?? 'no file found, defaults only'}`,
    `env: ${config.env}`,
    `server: http://${config.server.host}:${config.server.port} (public URL ${config.server.publicUrl})`,
    `database: ${redactUrl(config.database.url)}`,
    `redis: ${config.redis.url ? redactUrl(config.redis.url) : 'none (in-process cache, locks and pub/sub; SQL job queue)'}`,
    `mail: ${config.mail.url ? redactUrl(config.mail.url) : 'development outbox (neptuno mail list)'}, from ${config.mail.from}`,
    `secret: ${secret}`,
    `admin token: ${config.admin.token ? 'configured' : 'not set'}`,
    `docs (/docs, /openapi.json): ${docsOn(config) ? 'served' : 'not served'}`,
    `metrics: ${metricsWhere(config)}`,
    `modules: ${modules.join(', ') || 'none'}`,
    `environment overrides: ${envOverrides.join(', ') || 'none'}`,
  ];
}
