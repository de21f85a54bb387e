import type { Database } from '../../db/database.js';
import { BullQueue } from './bullmq.js';
import type { Queue } from './contract.js';
import type { QueueLog, QueueMetrics } from './shared.js';
import { SqlQueue } from './sql.js';

export type { Queue, JobHandler, JobOptions, JobRecord, JobState, JobContext, JobList, RescheduleOptions } from './contract.js';
export type { QueueLog, QueueMetrics } from './shared.js';
export { queueMetrics } from './metrics.js';
export { queueMigrations } from './migrations.js';
export { SqlQueue } from './sql.js';
export { BullQueue } from './bullmq.js';

export interface CreateQueueOptions {
  database: Database;
  /** BullMQ on this Redis when set; otherwise the neptuno_jobs table in `database`. */
  redisUrl: string | null;
  /** Redis key prefix (BullMQ only). */
  prefix: string;
  concurrency?: number;
  /** SQL only: idle poll period. */
  pollIntervalMs?: number;
  visibilityTimeoutMs?: number;
  log?: QueueLog;
  metrics?: QueueMetrics;
}

export function createQueue(opts: CreateQueueOptions): Queue {
  const common = { concurrency: opts.concurrency, visibilityTimeoutMs: opts.visibilityTimeoutMs, log: opts.log, metrics: opts.metrics };
  if (opts.redisUrl) return new BullQueue({ url: opts.redisUrl, prefix: opts.prefix, ...common });
  return new SqlQueue({ database: opts.database, pollIntervalMs: opts.pollIntervalMs, ...common });
}
