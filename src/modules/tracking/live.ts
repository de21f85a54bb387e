import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { LockManager } from '../../core/drivers/lock/contract.js';
import type { Queries } from './queries.js';
import type { TrackingTables } from './schema.js';

export interface LiveSnapshot {
  visitors: number;
  pages: Array<{ path: string; visitors: number }>;
  windowMinutes: number;
}

/**
 * Live visitors (seen in the last `windowMinutes`), pushed on the realtime `admin` channel as
 * `{ event: 'tracking.live', visitors, pages, windowMinutes, at }`. Throttled: at most one message
 * per `intervalMs` across all replicas (the tick is claimed through a lock that is left to expire),
 * and none while the figures have not changed since the last one this replica sent.
 */
export class LiveVisitors {
  private timer: NodeJS.Timeout | null = null;
  private last = '';
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly opts: {
      db: Kysely<TrackingTables>;
      queries: Queries;
      locks: LockManager;
      publish: (data: unknown) => Promise<void>;
      log: Logger;
      intervalMs: number;
      windowMinutes: number;
      now: () => number;
    },
  ) {}

  snapshot(): Promise<LiveSnapshot> {
    return this.opts.queries.live(this.opts.now(), this.opts.windowMinutes * 60_000);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** One throttled publish (also called by tests). Returns whether a message was sent. */
  tick(opts: { force?: boolean } = {}): Promise<boolean> {
    const run = this.publishOnce(opts.force ?? false);
    this.ticking = run.then(() => undefined);
    return run;
  }

  private async publishOnce(force: boolean): Promise<boolean> {
    try {
      const lock = force || (await this.opts.locks.acquire('tracking:live', { ttlMs: Math.max(500, this.opts.intervalMs - 200) }));
      if (!lock) return false;
      const now = this.opts.now();
      // Visitors gone quiet leave the table, which stays as small as the live audience.
      await this.opts.db.deleteFrom('tracking_live').where('last_ms', '<', now - this.opts.windowMinutes * 60_000).execute();
      const snap = await this.snapshot();
      const key = JSON.stringify(snap);
      if (key === this.last && !force) return false;
      this.last = key;
      await this.opts.publish({ event: 'tracking.live', ...snap, at: new Date(now).toISOString() });
      return true;
    } catch (err) {
      this.opts.log.warn({ err }, 'tracking: live visitors not published');
      return false;
    }
  }
}
