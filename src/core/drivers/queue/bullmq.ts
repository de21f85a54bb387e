import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Queue as BullQueueClient, Worker, Job, JobType } from 'bullmq';

// Loaded when the queue is BullMQ (REDIS_URL set): an embedded deployment never loads it.
const require = createRequire(import.meta.url);
const bull = () => require('bullmq') as typeof import('bullmq');
import { closeRedis, createRedis, type Redis } from '../redis-connection.js';
import type { JobHandler, JobList, JobOptions, JobRecord, JobState, Queue, RescheduleOptions } from './contract.js';
import { fromBullId, toBullId } from './bullmq-ids.js';
import { clampLimit, decodeCursor, encodeCursor, errorText, JOB_STATES, resolveJobOptions, resolveRunAt, type QueueLog, type QueueMetrics } from './shared.js';

export interface BullQueueOptions {
  url: string;
  /** Redis key prefix; replicas of one app share it, tests use a unique one. */
  prefix: string;
  concurrency?: number;
  /** BullMQ lockDuration (renewed while the handler runs) and stalled-job check interval. Default 30000. */
  visibilityTimeoutMs?: number;
  /** Completed jobs kept for inspection (the oldest are dropped). Default 1000. */
  keepCompleted?: number;
  /** Dead jobs kept for inspection and retry (the oldest are dropped). Default 10000. */
  keepDead?: number;
  log?: QueueLog;
  metrics?: QueueMetrics;
}

const QUEUE_NAME = 'jobs';

/** Our states -> BullMQ's lists and sets, in the order `list` walks them without a state. */
const BULL_TYPES: Record<JobState, JobType[]> = {
  active: ['active'],
  waiting: ['wait', 'prioritized', 'paused', 'waiting-children'],
  delayed: ['delayed'],
  dead: ['failed'],
  completed: ['completed'],
};

function toState(state: string): JobState | null {
  if (state === 'failed') return 'dead';
  if (state === 'completed' || state === 'active' || state === 'delayed') return state;
  if (state === 'waiting' || state === 'wait' || state === 'prioritized' || state === 'paused' || state === 'waiting-children') return 'waiting';
  return null;
}

type OffsetCursor = { o: number };
const isOffsetCursor = (v: unknown): v is OffsetCursor =>
  typeof v === 'object' && v !== null && Number.isSafeInteger((v as OffsetCursor).o) && (v as OffsetCursor).o >= 0;

/**
 * The queue on Redis with BullMQ, used when REDIS_URL is set: one BullMQ queue named "jobs",
 * one Worker per process serving every registered job name. Dead-letter = BullMQ "failed"
 * (only reached once attempts are exhausted). At-least-once like the SQL queue.
 */
export class BullQueue implements Queue {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly prefix: string;
  private readonly connection: Redis;
  private readonly queue: BullQueueClient;
  private worker: Worker | null = null;
  private workerConnection: Redis | null = null;

  constructor(private readonly opts: BullQueueOptions) {
    // BullMQ joins prefix and queue name with ':' itself.
    this.prefix = opts.prefix.replace(/:+$/, '') || 'neptuno';
    this.connection = createRedis(opts.url, { name: 'neptuno-queue', onError: (err) => opts.log?.warn({ err }, 'Queue Redis connection error') });
    this.queue = new (bull().Queue)(QUEUE_NAME, { connection: this.connection, prefix: this.prefix });
    this.queue.on('error', (err) => opts.log?.error({ err }, 'BullMQ queue error'));
  }

  register(name: string, handler: JobHandler): void {
    if (this.handlers.has(name)) throw new Error(`Job handler "${name}" is already registered`);
    this.handlers.set(name, handler);
  }

  async enqueue(name: string, payload: unknown, opts?: JobOptions): Promise<string> {
    const o = resolveJobOptions(name, opts);
    const id = o.jobId ?? randomUUID();
    // A second add with an existing jobId is ignored by BullMQ and returns the existing job.
    await this.queue.add(name, payload ?? null, {
      jobId: toBullId(id),
      delay: o.delayMs,
      attempts: o.attempts,
      backoff: { type: 'exponential', delay: o.backoffMs },
      removeOnComplete: { count: this.opts.keepCompleted ?? 1000 },
      removeOnFail: { count: this.opts.keepDead ?? 10_000 },
    });
    return id;
  }

  async start(): Promise<void> {
    if (this.worker || this.handlers.size === 0) return;
    const vt = Math.max(1000, this.opts.visibilityTimeoutMs ?? 30_000);
    // Workers block on Redis and must never give up a command: maxRetriesPerRequest null.
    this.workerConnection = createRedis(this.opts.url, {
      name: 'neptuno-worker',
      failFast: false,
      maxRetriesPerRequest: null,
      onError: (err) => this.opts.log?.warn({ err }, 'Worker Redis connection error'),
    });
    const worker = new (bull().Worker)(QUEUE_NAME, (job) => this.process(job), {
      connection: this.workerConnection,
      prefix: this.prefix,
      concurrency: Math.max(1, this.opts.concurrency ?? 5),
      lockDuration: vt,
      stalledInterval: vt,
    });
    worker.on('completed', (job) => this.opts.metrics?.onCompleted(job.name));
    worker.on('failed', (job, err) => {
      if (!job) return;
      this.opts.metrics?.onFailed(job.name);
      const log = { err, jobId: fromBullId(job.id ?? ''), job: job.name, attempt: job.attemptsMade };
      if (job.attemptsMade >= (job.opts.attempts ?? 1)) {
        this.opts.metrics?.onDead(job.name);
        this.opts.log?.error(log, 'Job failed on its last attempt; moved to dead');
      } else {
        this.opts.metrics?.onRetry?.(job.name);
        this.opts.log?.warn(log, 'Job failed; will retry');
      }
    });
    worker.on('error', (err) => this.opts.log?.error({ err }, 'BullMQ worker error'));
    this.worker = worker;
  }

  private async process(job: Job): Promise<void> {
    const handler = this.handlers.get(job.name);
    if (!handler) throw new Error(`No handler registered for job "${job.name}"`);
    await handler(job.data, { id: fromBullId(job.id ?? ''), name: job.name, attempt: Math.max(1, job.attemptsStarted ?? job.attemptsMade + 1) });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    // close() without force waits for the running handlers.
    await worker.close();
    if (this.workerConnection) await closeRedis(this.workerConnection);
    this.workerConnection = null;
  }

  async list(opts: { state?: JobState; limit?: number; cursor?: string } = {}): Promise<JobList> {
    const limit = clampLimit(opts.limit);
    if (opts.state !== undefined && !JOB_STATES.includes(opts.state)) throw new TypeError(`Unknown job state "${opts.state}"`);
    const offset = opts.cursor ? decodeCursor(opts.cursor, isOffsetCursor).o : 0;
    // Walk the BullMQ sets one type at a time so the offset maps onto exact positions
    // (getJobs with several types applies the range to each type, not to the whole).
    const types = opts.state ? BULL_TYPES[opts.state] : Object.values(BULL_TYPES).flat();
    const data: JobRecord[] = [];
    let skip = offset;
    let total = 0;
    for (const type of types) {
      const n = await this.queue.getJobCountByTypes(type);
      total += n;
      if (data.length >= limit) continue;
      if (skip >= n) {
        skip -= n;
        continue;
      }
      const jobs = (await this.queue.getJobs([type], skip, skip + (limit - data.length) - 1, false)).filter(Boolean) as Job[];
      skip = 0;
      const due = type === 'delayed' ? await this.delayedUntil(jobs) : [];
      jobs.forEach((job, i) => data.push(this.toRecord(job, toState(type) ?? 'waiting', due[i])));
    }
    const next = offset + data.length;
    return { data, nextCursor: data.length > 0 && next < total ? encodeCursor({ o: next } satisfies OffsetCursor) : null };
  }

  async get(id: string): Promise<JobRecord | null> {
    const job = await this.queue.getJob(toBullId(id));
    if (!job) return null;
    const state = toState(await job.getState());
    if (!state) return null;
    return this.toRecord(job, state, state === 'delayed' ? (await this.delayedUntil([job]))[0] : undefined);
  }

  async remove(id: string): Promise<boolean> {
    if (!(await this.queue.getJob(toBullId(id)))) return false;
    // BullMQ refuses (0) while a worker holds the job's lock: it may be running right now.
    return (await this.queue.remove(toBullId(id))) === 1;
  }

  async reschedule(id: string, when: RescheduleOptions): Promise<boolean> {
    const runAt = resolveRunAt(when);
    const job = await this.queue.getJob(toBullId(id));
    if (!job) return false;
    const state = toState(await job.getState());
    try {
      if (state === 'delayed') {
        // Atomic in Redis; attempts made so far (a retry waiting out its backoff) are kept.
        if (runAt <= Date.now()) await job.promote();
        else await job.changeDelay(runAt - Date.now());
        return true;
      }
      if (state !== 'waiting') return false;
      if (runAt <= Date.now()) return true; // already due
      // BullMQ cannot move a waiting job back to delayed: take it out (refused if a worker got
      // it meanwhile) and add it again under the same id, creation time and options. A crash
      // between the two loses this one job; see docs/drivers.md.
      if ((await this.queue.remove(job.id!)) !== 1) return false;
      await this.queue.add(job.name, job.data, { ...job.opts, jobId: job.id, timestamp: job.timestamp, delay: Math.max(1, runAt - job.timestamp) });
      return true;
    } catch (err) {
      // The job moved on (promoted, taken, removed) between reading its state and changing it.
      this.opts.log?.debug({ err: errorText(err), jobId: id }, 'Job reschedule refused');
      return false;
    }
  }

  /** When delayed jobs are due: BullMQ keeps it in the delayed set's score (ms * 4096 + order). */
  private async delayedUntil(jobs: Job[]): Promise<(number | undefined)[]> {
    if (!jobs.length) return [];
    const pipe = this.connection.pipeline();
    for (const job of jobs) pipe.zscore(this.queue.keys.delayed, job.id!);
    const scores = (await pipe.exec()) ?? [];
    return scores.map(([err, score]) => (err || score === null ? undefined : Math.floor(Number(score) / 0x1000)));
  }

  async retry(id: string): Promise<boolean> {
    const job = await this.queue.getJob(toBullId(id));
    if (!job || (await job.getState()) !== 'failed') return false;
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    } catch (err) {
      // Another replica retried it first, or it was removed meanwhile.
      this.opts.log?.debug({ err: errorText(err), jobId: id }, 'Job retry refused');
      return false;
    }
  }

  async counts(): Promise<Record<JobState, number>> {
    const out = {} as Record<JobState, number>;
    for (const state of JOB_STATES) out[state] = await this.queue.getJobCountByTypes(...BULL_TYPES[state]);
    return out;
  }

  async oldestDue(): Promise<number | null> {
    // The wait list takes new jobs at its head: its tail is the job waiting longest. A delayed job
    // (or a retry) enters it when due, with processedOn unset; its timestamp + delay is when.
    const [job] = (await this.queue.getJobs(['wait'], 0, 0, true)).filter(Boolean) as Job[];
    return job ? job.timestamp + (job.delay ?? 0) : null;
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async close(): Promise<void> {
    await this.stop();
    await this.queue.close();
    await closeRedis(this.connection);
  }

  private toRecord(job: Job, state: JobState, runAt = job.timestamp + (job.delay ?? 0)): JobRecord {
    return {
      id: fromBullId(job.id ?? ''),
      name: job.name,
      payload: job.data,
      state,
      attempts: job.attemptsStarted ?? job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
      lastError: job.failedReason || null,
      runAt: new Date(runAt).toISOString(),
      createdAt: new Date(job.timestamp).toISOString(),
    };
  }
}
