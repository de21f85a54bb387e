import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { LockManager } from '../lock/contract.js';
import type { CronJob, CronScheduler as CronSchedulerContract } from './contract.js';

export type CronLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface CronSchedulerOptions {
  /** Shared by every replica (Redis at scale); a tick runs on whichever replica claims it first. */
  locks: LockManager;
  log?: CronLog;
  /**
   * Minimum lifetime of a tick's claim. The claim is never released, so a replica whose timer
   * fires late (busy event loop, clock skew) finds the tick taken instead of running it again.
   * The claim lives for max(this, the cron's interval). Default 10 minutes.
   */
  minClaimTtlMs?: number;
}

interface Entry {
  job: CronJob;
  /** Only computes times (never scheduled itself): we keep our own timer to know the exact tick. */
  pattern: Cron;
  timer: NodeJS.Timeout | null;
  lastTick: number;
  running: Promise<void> | null;
}

/** setTimeout is re-armed at least this often, so long waits follow the wall clock. */
const MAX_TIMER_MS = 30_000;

/**
 * Crons across replicas: every replica arms a timer for each tick, and at the tick each tries
 * `locks.acquire("cron:<name>:<tick epoch ms>")`; the winner runs the job. A failing job is
 * logged and the schedule goes on. A job still running locally when its next tick comes skips
 * the claim, so another replica (if any) takes that tick instead of piling up runs.
 */
export class CronScheduler implements CronSchedulerContract {
  private readonly entries = new Map<string, Entry>();
  private started = false;

  constructor(private readonly opts: CronSchedulerOptions) {}

  add(job: CronJob): void {
    if (!job.name || typeof job.run !== 'function') throw new TypeError('A cron needs a name and a run function');
    if (this.entries.has(job.name)) throw new Error(`Cron "${job.name}" is already added`);
    let pattern: Cron;
    try {
      pattern = new Cron(job.schedule, { timezone: 'UTC', paused: true });
    } catch (err) {
      throw new Error(`Cron "${job.name}": invalid schedule "${job.schedule}": ${(err as Error).message}`);
    }
    const entry: Entry = { job, pattern, timer: null, lastTick: 0, running: null };
    this.entries.set(job.name, entry);
    if (this.started) this.arm(entry);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const entry of this.entries.values()) this.arm(entry);
  }

  /** Stops arming ticks and waits for runs in progress. */
  async stop(): Promise<void> {
    this.started = false;
    for (const entry of this.entries.values()) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = null;
    }
    await Promise.all([...this.entries.values()].map((e) => e.running));
  }

  /**
   * Runs a cron at once, on this replica, without claiming a tick (tests, `neptuno` commands).
   * Unlike a scheduled run, a failure is thrown to the caller.
   */
  async runNow(name: string, scheduledAt = new Date()): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`No cron named "${name}" (crons: ${[...this.entries.keys()].join(', ') || 'none'})`);
    await entry.job.run({ name, scheduledAt });
  }

  /** Arms the timer for the next tick strictly after both now and the last tick handled. */
  private arm(entry: Entry): void {
    if (!this.started) return;
    const next = entry.pattern.nextRun(new Date(Math.max(Date.now(), entry.lastTick)));
    if (!next) return; // the pattern has no future tick
    const tick = next.getTime();
    const wait = tick - Date.now();
    entry.timer = setTimeout(() => (wait > MAX_TIMER_MS ? this.arm(entry) : this.fire(entry, tick)), Math.min(Math.max(wait, 0), MAX_TIMER_MS));
  }

  private fire(entry: Entry, tick: number): void {
    if (!this.started) return;
    // Timers may fire a millisecond early; the tick must not run before its time.
    const early = tick - Date.now();
    if (early > 0) {
      entry.timer = setTimeout(() => this.fire(entry, tick), early);
      return;
    }
    entry.lastTick = tick;
    this.arm(entry);
    if (entry.running) {
      this.opts.log?.warn({ cron: entry.job.name, tick: new Date(tick).toISOString() }, 'Cron still running from an earlier tick; leaving this tick to other replicas');
      return;
    }
    entry.running = this.claimAndRun(entry, tick).finally(() => {
      entry.running = null;
    });
  }

  private async claimAndRun(entry: Entry, tick: number): Promise<void> {
    const { name } = entry.job;
    const scheduledAt = new Date(tick);
    const following = entry.pattern.nextRun(scheduledAt);
    const interval = following ? following.getTime() - tick : 0;
    const ttlMs = Math.max(this.opts.minClaimTtlMs ?? 10 * 60_000, interval);
    try {
      // Deliberately never released: see minClaimTtlMs.
      const claim = await this.opts.locks.acquire(`cron:${name}:${tick}`, { ttlMs });
      if (!claim) return;
    } catch (err) {
      this.opts.log?.error({ err, cron: name, tick: scheduledAt.toISOString() }, 'Could not claim cron tick; skipped');
      return;
    }
    try {
      this.opts.log?.debug({ cron: name, tick: scheduledAt.toISOString() }, 'Cron run');
      await entry.job.run({ name, scheduledAt });
    } catch (err) {
      this.opts.log?.error({ err, cron: name, tick: scheduledAt.toISOString() }, 'Cron run failed');
    }
  }
}
