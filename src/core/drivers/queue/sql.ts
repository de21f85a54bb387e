import { randomUUID } from 'node:crypto';
import type { Database, Db } from '../../db/database.js';
import type { JobHandler, JobList, JobOptions, JobRecord, JobState, Queue, RescheduleOptions } from './contract.js';
import { errorText, resolveJobOptions, resolveRunAt, type QueueLog, type QueueMetrics } from './shared.js';
import { JOBS_CHANNEL } from './migrations.js';
import { JobTable, type JobRow } from './sql-store.js';

export interface SqlQueueOptions {
  database: Database;
  /** Handlers running at once in this process. Default 5. */
  concurrency?: number;
  /**
   * How often an idle worker looks for due jobs (delayed jobs, retries, expired leases, and on
   * SQLite other processes' enqueues; on PostgreSQL those wake it at once through NOTIFY). Default 1000.
   */
  pollIntervalMs?: number;
  /**
   * Lease of a claimed job. The worker renews it every half lease while the handler runs, so
   * only a job whose worker died (crash, kill, lost database) is handed out again, once the
   * lease has run out. Default 30000.
   */
  visibilityTimeoutMs?: number;
  log?: QueueLog;
  metrics?: QueueMetrics;
}

/**
 * The queue in the SQL database (SQLite or PostgreSQL): used whenever REDIS_URL is not set.
 * At-least-once: a handler may run again after a crash, so handlers must be idempotent.
 * Needs the `neptuno_jobs` table from queueMigrations (the kernel runs it).
 */
export class SqlQueue implements Queue {
  private readonly table: JobTable;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly visibilityTimeoutMs: number;
  private readonly running = new Set<Promise<void>>();
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private wakePending = false;
  private unlisten: (() => Promise<void>) | null = null;
  /** Finished jobs waiting for the next batched completion statement. */
  private toComplete: Array<{ row: JobRow; done: (owned: boolean) => void; failed: (err: unknown) => void }> = [];
  private readonly settling = new Set<Promise<void>>();

  constructor(private readonly opts: SqlQueueOptions) {
    this.table = new JobTable(opts.database);
    this.concurrency = Math.max(1, opts.concurrency ?? 5);
    this.pollIntervalMs = Math.max(10, opts.pollIntervalMs ?? 1000);
    this.visibilityTimeoutMs = Math.max(100, opts.visibilityTimeoutMs ?? 30_000);
  }

  register(name: string, handler: JobHandler): void {
    if (this.handlers.has(name)) throw new Error(`Job handler "${name}" is already registered`);
    this.handlers.set(name, handler);
  }

  async enqueue(name: string, payload: unknown, opts?: JobOptions): Promise<string> {
    const resolved = resolveJobOptions(name, opts);
    const id = await this.table.insert(name, payload, resolved);
    // A local worker picks the job up at once instead of at the next poll.
    if (resolved.delayMs === 0 && this.handlers.has(name)) this.wake();
    return id;
  }

  /**
   * Writes jobs through `executor`, a transaction of this database: they exist if and only if it
   * commits. Call notify() after the commit so a local worker takes them at once.
   */
  async enqueueIn(executor: Db, jobs: Array<{ name: string; payload: unknown; opts?: JobOptions }>): Promise<string[]> {
    const rows = jobs.map((j) => {
      const opts = resolveJobOptions(j.name, j.opts);
      return { name: j.name, payload: j.payload, opts, id: opts.jobId ?? randomUUID() };
    });
    await this.table.insertMany(executor, rows);
    return rows.map((r) => r.id);
  }

  /** Wakes the local worker (jobs were written by a transaction that just committed). */
  notify(): void {
    if (this.handlers.size > 0) this.wake();
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    if (this.handlers.size === 0) return;
    // PostgreSQL: jobs committed by any process (other replicas, the CLI) wake this worker at once.
    this.unlisten = this.opts.database.listen?.(JOBS_CHANNEL, () => this.wake()) ?? null;
    this.loop = this.work();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = null;
    await this.unlisten?.();
    this.unlisten = null;
    // A handler that finishes schedules nothing new, so one pass each suffices.
    await Promise.all([...this.running]);
    await Promise.all([...this.settling]);
  }

  list(opts: { state?: JobState; limit?: number; cursor?: string } = {}): Promise<JobList> {
    return this.table.list(opts);
  }

  get(id: string): Promise<JobRecord | null> {
    return this.table.get(id);
  }

  async retry(id: string): Promise<boolean> {
    const ok = await this.table.retry(id);
    if (ok) this.wake();
    return ok;
  }

  remove(id: string): Promise<boolean> {
    return this.table.remove(id);
  }

  async reschedule(id: string, when: RescheduleOptions): Promise<boolean> {
    const runAt = resolveRunAt(when);
    const ok = await this.table.reschedule(id, runAt);
    if (ok && runAt <= Date.now()) this.wake();
    return ok;
  }

  counts(): Promise<Record<JobState, number>> {
    return this.table.counts();
  }

  oldestDue(): Promise<number | null> {
    return this.table.oldestDue();
  }

  /** Deletes completed jobs finished more than `olderThanMs` ago (a daily cron is a good home). */
  prune(olderThanMs: number): Promise<number> {
    return this.table.prune(olderThanMs);
  }

  ping(): Promise<void> {
    return this.opts.database.ping();
  }

  /** Stops the worker; the database belongs to the caller and stays open. */
  async close(): Promise<void> {
    await this.stop();
  }

  private wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wakePending = true;
  }

  /** Sleeps until the poll interval passes or wake() is called (enqueue, a slot freed, stop). */
  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async work(): Promise<void> {
    const names = [...this.handlers.keys()];
    let lastSweep = 0;
    while (!this.stopping) {
      const free = this.concurrency - this.running.size;
      let claimed = 0;
      if (free > 0) {
        try {
          if (Date.now() - lastSweep >= this.pollIntervalMs) {
            lastSweep = Date.now();
            for (const { name } of await this.table.buryExpired(names)) {
              this.opts.log?.warn({ job: name }, 'Job lease expired on its last attempt; moved to dead');
              this.opts.metrics?.onDead(name);
            }
            if ((await this.table.releaseExpired(names)) > 0) this.opts.log?.warn('Job leases expired (worker died?); jobs back to waiting');
          }
          const rows = await this.table.claim(names, free, this.visibilityTimeoutMs);
          claimed = rows.length;
          for (const row of rows) this.track(this.execute(row));
        } catch (err) {
          // The database is down or busy: log and try again after the poll interval.
          this.opts.log?.error({ err }, 'Job queue poll failed');
        }
      }
      if (this.stopping) break;
      // A full batch means more may be due: claim again at once if slots are left.
      if (claimed > 0 && claimed === free) continue;
      await this.sleep(this.pollIntervalMs);
    }
  }

  private track(p: Promise<void>): void {
    this.running.add(p);
    void p.finally(() => {
      this.running.delete(p);
      this.wake();
    });
  }

  /**
   * Queues a completion; every job finished in the same turn of the event loop is completed by
   * one UPDATE per claim (the lock token fences each claim separately). If the statement fails
   * the jobs stay active and run again once their lease runs out: at-least-once holds.
   */
  private completeLater(row: JobRow): Promise<boolean> {
    return new Promise((done, failed) => {
      if (this.toComplete.length === 0) setImmediate(() => void this.flushCompletions());
      this.toComplete.push({ row, done, failed });
    });
  }

  private async flushCompletions(): Promise<void> {
    const batch = this.toComplete;
    this.toComplete = [];
    const byToken = new Map<string, typeof batch>();
    for (const item of batch) {
      const token = item.row.lock_token ?? '';
      byToken.set(token, [...(byToken.get(token) ?? []), item]);
    }
    await Promise.all(
      [...byToken].map(async ([token, items]) => {
        try {
          const completed = await this.table.completeMany(token, items.map((i) => i.row.id));
          for (const i of items) i.done(completed.has(i.row.id));
        } catch (err) {
          for (const i of items) i.failed(err);
        }
      }),
    );
  }

  private async execute(row: JobRow): Promise<void> {
    const handler = this.handlers.get(row.name)!;
    const ctx = { id: row.id, name: row.name, attempt: Number(row.attempts) };
    const heartbeat = setInterval(() => {
      this.table.extend(row, this.visibilityTimeoutMs).then(
        (owned) => {
          if (!owned) this.opts.log?.warn({ jobId: row.id, job: row.name }, 'Job lease lost while running; another worker may run it');
        },
        (err) => this.opts.log?.warn({ err, jobId: row.id }, 'Job lease renewal failed'),
      );
    }, Math.floor(this.visibilityTimeoutMs / 2));
    let failure: unknown = null;
    let ok = false;
    try {
      await handler(JSON.parse(row.payload), ctx);
      ok = true;
    } catch (err) {
      failure = err;
    } finally {
      clearInterval(heartbeat);
    }
    if (ok) {
      // The slot frees now; the completion rides in the next batched statement.
      const settled = this.completeLater(row).then(
        (owned) => {
          if (owned) this.opts.metrics?.onCompleted(row.name);
          else this.opts.log?.warn({ jobId: row.id, job: row.name }, 'Job finished after its lease was lost; it may run again');
        },
        (err) => this.opts.log?.error({ err, jobId: row.id }, 'Could not record the job outcome'),
      );
      this.settling.add(settled);
      void settled.finally(() => this.settling.delete(settled));
      return;
    }
    try {
      this.opts.metrics?.onFailed(row.name);
      const outcome = await this.table.fail(row, errorText(failure));
      const log = { err: failure, jobId: row.id, job: row.name, attempt: ctx.attempt };
      if (outcome === 'dead') {
        this.opts.metrics?.onDead(row.name);
        this.opts.log?.error(log, 'Job failed on its last attempt; moved to dead');
      } else {
        this.opts.metrics?.onRetry?.(row.name);
        this.opts.log?.warn(log, 'Job failed; will retry');
      }
    } catch (err) {
      // The outcome could not be recorded: the lease runs out and the job is redone.
      this.opts.log?.error({ err, jobId: row.id }, 'Could not record the job outcome');
    }
  }
}
