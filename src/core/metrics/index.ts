import type { Registry } from 'prom-client';
import type { AppConfig } from '../config/schema.js';
import type { Database } from '../db/database.js';
import type { Health } from '../http/health.js';
import type { App } from '../module.js';
import type { Outbox } from '../outbox/outbox.js';
import { databaseMetrics } from './database.js';
import { diskMetrics } from './disk.js';
import { outboxMetrics } from './outbox.js';
import { installTenantRequestMetrics } from './tenants.js';

export interface OperatorMetricsOptions {
  server: App;
  registry: Registry;
  config: AppConfig;
  database: Database;
  outbox: Outbox;
  health: Health;
}

/**
 * The kernel's operator metrics beyond requests and jobs (docs/operations.md has the table):
 * database connections and slow statements, outbox backlog and handler failures, dependencies
 * up, disk free, per-tenant requests. Queue, cache and rate-limit metrics are installed with the
 * drivers (drivers/index.ts). Scrape-time reads are bounded (scrape.ts).
 */
export function installOperatorMetrics(opts: OperatorMetricsOptions): { onHandlerError: (module: string, event: string) => void } {
  const { registry, config } = opts;
  databaseMetrics(registry, opts.database);
  diskMetrics(registry, config);
  opts.health.metrics(registry);
  installTenantRequestMetrics(opts.server, registry, config.metrics.tenants);
  return { onHandlerError: outboxMetrics(registry, opts.outbox.store) };
}
