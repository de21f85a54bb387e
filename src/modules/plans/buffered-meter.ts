import type { Logger } from 'pino';
import { refusal, stateOf, type Meter, type UsageState } from './metering.js';
import { ownerKey, type PlanOwner } from './owner.js';

interface Entry {
  owner: PlanOwner;
  metric: string;
  period: string;
  /** The database's count when last read or flushed (this replica's view of every replica). */
  base: Promise<number>;
  /** Counted here, not yet written. */
  pending: number;
}

/**
 * `apiCalls.mode: buffered`: API calls are counted in memory and written every `flushMs` as one
 * upsert per owner (the same atomic `count = count + n`, thresholds and alerts included), so a
 * metered call costs no database write. The trade-off, against `exact`:
 * - a process killed between flushes loses up to `flushMs` of counts (a clean stop flushes);
 * - the quota is checked against this replica's view (the last flushed count plus its own
 *   pending calls), so N replicas may together overshoot it by what they serve in one interval.
 * A failed flush keeps its counts for the next one and logs the error: counts are never dropped
 * silently while the process lives.
 */
export class BufferedMeter {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly meter: Meter,
    private readonly flushMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Counts one call (429 problem past a hard quota, nothing counted then). */
  async admit(owner: PlanOwner, metric: string): Promise<UsageState> {
    const target = await this.meter.target(owner, metric, new Date());
    const k = ownerKey(owner);
    const id = `${k.type}:${k.id}|${metric}|${target.period}`;
    let entry = this.entries.get(id);
    let usage = 0;
    for (;;) {
      if (!entry) {
        entry = { owner, metric, period: target.period, base: this.meter.read(k, metric, target.period), pending: 0 };
        this.entries.set(id, entry);
      }
      const base = await entry.base;
      // A flush may have dropped this entry (idle) or another call replaced it while we waited:
      // count on the live one, never on an orphan no flush would write.
      const live = this.entries.get(id);
      if (live === entry) {
        usage = base + entry.pending;
        break;
      }
      entry = live;
    }
    if (target.limit && target.mode === 'hard' && usage + 1 > target.limit.value) throw refusal(stateOf(target, usage), true);
    entry!.pending += 1;
    return stateOf(target, usage + 1);
  }

  /** Writes every pending count; idle entries are dropped so the next call reads a fresh count. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    for (const [id, entry] of this.entries) {
      const n = entry.pending;
      if (n === 0) {
        this.entries.delete(id);
        continue;
      }
      entry.pending -= n;
      try {
        const state = await this.meter.increment(entry.owner, entry.metric, n);
        entry.base = Promise.resolve(state.usage);
      } catch (err) {
        entry.pending += n;
        this.log.error({ err, metric: entry.metric }, 'plans: API-call counts not written; kept for the next flush');
      }
    }
  }
}
