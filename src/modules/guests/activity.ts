import { sql } from 'kysely';
import type { Database } from '../../core/db/database.js';
import type { Logger } from 'pino';

interface Pending {
  hits: number;
  ip: string | null;
  /** Epoch milliseconds (formatted only when written: record() runs on every request). */
  at: number;
}

/**
 * Guest activity (last IP, requests counted, last activity) is buffered in memory and written
 * once per guest per flush interval, instead of one UPDATE on every request a guest makes.
 * Increments are additive (`endpoints_used + n`), so several replicas flushing the same guest
 * add up correctly, and last_active_at only moves forward. The price: a crash loses at most one
 * interval of counts, which is acceptable for a statistic (merges and sign-ins never depend on it).
 */
export class ActivityBuffer {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
  ) {}

  record(guestId: string, ip: string | null, at = Date.now()): void {
    const entry = this.pending.get(guestId);
    if (entry) {
      entry.hits += 1;
      entry.ip = ip ?? entry.ip;
      entry.at = at;
    } else {
      this.pending.set(guestId, { hits: 1, ip, at });
    }
  }

  get size(): number {
    return this.pending.size;
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.flush().catch((err) => this.log.error({ err }, 'guest activity flush failed'));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Writes everything buffered so far. Concurrent calls share one flush. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write(batch).finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private async write(batch: Map<string, Pending>): Promise<void> {
    const { dialect } = this.database;
    // ISO text compares correctly in SQLite; in PostgreSQL the parameter must be cast to compare as time.
    const at = (value: string) => (dialect === 'postgres' ? sql`cast(${value} as timestamptz)` : sql`${value}`);
    try {
      // One transaction: on SQLite a single commit (one fsync) for the whole batch.
      await this.database.tx(async (trx) => {
        for (const [id, p] of batch) {
          const iso = new Date(p.at).toISOString();
          await trx
            .updateTable('guests')
            .set({
              endpoints_used: sql`endpoints_used + ${p.hits}`,
              last_ip: p.ip === null ? sql`last_ip` : sql`case when last_active_at <= ${at(iso)} then ${p.ip} else last_ip end`,
              last_active_at: sql`case when last_active_at < ${at(iso)} then ${at(iso)} else last_active_at end`,
            })
            .where('id', '=', id)
            .execute();
        }
      });
    } catch (err) {
      // Put the counts back so a transient database error loses nothing.
      for (const [id, p] of batch) {
        const now = this.pending.get(id);
        if (now) {
          now.hits += p.hits;
          if (now.at < p.at) Object.assign(now, { at: p.at, ip: p.ip ?? now.ip });
        } else this.pending.set(id, p);
      }
      throw err;
    }
  }
}
