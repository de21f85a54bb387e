import { Counter, Gauge, type Registry } from 'prom-client';
import type { Database } from '../db/database.js';

/**
 * Database metrics, read from the connection wrapper's plain counters when scraped (db/stats.ts):
 *   neptuno_db_connections_in_use             connections Kysely holds (SQLite: 0 or 1)
 *   neptuno_db_connections_waiting            acquisitions waiting for a free connection
 *   neptuno_db_connections_max                database.poolSize (SQLite: 1)
 *   neptuno_db_slow_statements_total{kind}    statements >= database.slowStatementMs (select/insert/update/delete/other)
 */
export function databaseMetrics(registry: Registry, database: Database): void {
  const { stats } = database;
  new Gauge({
    name: 'neptuno_db_connections_in_use',
    help: 'Database connections in use by this process',
    registers: [registry],
    collect() {
      this.set(stats.inUse);
    },
  });
  new Gauge({
    name: 'neptuno_db_connections_waiting',
    help: 'Queries and transactions waiting for a free database connection',
    registers: [registry],
    collect() {
      this.set(stats.waiting);
    },
  });
  new Gauge({
    name: 'neptuno_db_connections_max',
    help: 'Connections the pool may open (database.poolSize; SQLite: 1)',
    registers: [registry],
    collect() {
      this.set(stats.poolMax);
    },
  });
  const slow = new Counter({
    name: 'neptuno_db_slow_statements_total',
    help: 'Statements that took database.slowStatementMs or longer, by kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const [kind, n] of stats.slow) slow.inc({ kind }, n);
      stats.slow.clear();
    },
  });
}
