import type { Logger } from 'pino';
import type { JobOptions, JobState, RescheduleOptions } from './contract.js';

/** The logger methods the queue drivers use; a pino logger fits. */
export type QueueLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * Called by the worker as jobs finish, to feed counters (see `queueMetrics` in metrics.ts).
 * onFailed fires on every failed attempt, onDead once when the last attempt has failed.
 */
export interface QueueMetrics {
  onCompleted(name: string): void;
  onFailed(name: string): void;
  onDead(name: string): void;
  /** A failed attempt that will be retried (onFailed fires too). */
  onRetry?(name: string): void;
}

export const JOB_STATES: JobState[] = ['waiting', 'delayed', 'active', 'completed', 'dead'];

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 1000;
export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

export interface ResolvedJobOptions {
  delayMs: number;
  attempts: number;
  backoffMs: number;
  jobId?: string;
}

/** Fills defaults and rejects nonsense early, the same way in every driver. */
export function resolveJobOptions(name: string, opts: JobOptions = {}): ResolvedJobOptions {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) throw new TypeError('Job name must be a non-empty string (max 200 chars)');
  const delayMs = opts.delayMs ?? 0;
  const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
  const backoffMs = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new TypeError('delayMs must be a number >= 0');
  if (!Number.isInteger(attempts) || attempts < 1) throw new TypeError('attempts must be an integer >= 1');
  if (!Number.isInteger(backoffMs) || backoffMs < 0) throw new TypeError('backoffMs must be an integer >= 0');
  if (opts.jobId !== undefined && (typeof opts.jobId !== 'string' || opts.jobId.length === 0 || opts.jobId.length > 200)) {
    throw new TypeError('jobId must be a non-empty string (max 200 chars)');
  }
  return { delayMs: Math.round(delayMs), attempts, backoffMs, jobId: opts.jobId };
}

/** The epoch ms a reschedule asks for; rejects nonsense the same way in every driver. */
export function resolveRunAt(when: RescheduleOptions, now = Date.now()): number {
  const { delayMs, runAt } = when ?? {};
  if ((delayMs === undefined) === (runAt === undefined)) throw new TypeError('reschedule needs exactly one of delayMs or runAt');
  if (delayMs !== undefined) {
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new TypeError('delayMs must be a number >= 0');
    return now + Math.round(delayMs);
  }
  const at = runAt instanceof Date ? runAt.getTime() : typeof runAt === 'string' ? Date.parse(runAt) : NaN;
  if (!Number.isFinite(at)) throw new TypeError('runAt must be a Date or an ISO 8601 string');
  return at;
}

/** Exponential backoff before the next attempt, after `attempt` (1-based) has failed. */
export const backoffDelay = (backoffMs: number, attempt: number) => backoffMs * 2 ** (attempt - 1);

export function clampLimit(limit: number | undefined): number {
  const n = Math.trunc(limit ?? DEFAULT_LIST_LIMIT);
  return Math.min(Math.max(Number.isFinite(n) ? n : DEFAULT_LIST_LIMIT, 1), MAX_LIST_LIMIT);
}

export { decodeCursor, encodeCursor } from '../../db/paginate.js';

/** What lands in lastError: the message, bounded so one huge error cannot bloat the store. */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
