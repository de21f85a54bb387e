import type { Logger } from 'pino';
import type { EventMeta } from '../events.js';
import type { Queue } from '../drivers/queue/contract.js';
import type { OutboxStore, OutboxRow } from './store.js';

export interface DeliveryConfig {
  recoveryDelayMs: number;
  attempts: number;
  backoffMs: number;
  leaseMs: number;
  relayIntervalMs: number;
}

export type DeliveryHandler = (payload: unknown, meta: EventMeta) => Promise<void> | void;

/** The queue job that retries one delivery: `<module>.on.<event>`, listed by `neptuno jobs`/`events`. */
export const deliveryJobName = (handler: string, event: string) => `${handler}.on.${event}`;

/** The job options of a delivery; its id is the delivery's, so relaying it twice queues it once. */
export function deliveryJobOptions(row: Pick<OutboxRow, 'id' | 'created_at'>, config: DeliveryConfig) {
  return {
    jobId: row.id,
    // The emitting process delivers at once; the job is the safety net after a crash or a failure.
    delayMs: Math.max(0, Number(row.created_at) + config.recoveryDelayMs - Date.now()),
    attempts: config.attempts,
    backoffMs: config.backoffMs,
  };
}

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

/**
 * Runs deliveries: one (handler, key) at a time, oldest first, each under a lease in its outbox
 * row so two processes never run one handler for one event at once, and recorded as finished
 * when the handler returns so a redelivery skips it.
 */
export class Deliverer {
  private readonly handlers = new Map<string, DeliveryHandler>();
  /** Told of every handler that throws (metrics, error reporting); set by the app. */
  onFailure: ((module: string, event: string, err: unknown, eventId: string) => void) | null = null;

  constructor(
    private readonly store: OutboxStore,
    private readonly config: DeliveryConfig,
    private readonly log: Logger,
  ) {}

  add(handler: string, event: string, run: DeliveryHandler): void {
    this.handlers.set(`${handler}|${event}`, run);
  }

  /**
   * Delivers every unfinished event of `key` to `handler`, in order. Stops with 'busy' at a row
   * another process holds (that process, or the row's job later, goes on). A handler that throws
   * stops the drain (later events of the key wait: order is kept) and the error is re-thrown.
   */
  async drain(handler: string, key: string): Promise<'idle' | 'busy'> {
    for (;;) {
      const rows = await this.store.pending(handler, key, 20);
      if (!rows.length) return 'idle';
      for (const row of rows) {
        const token = await this.store.claim(row.id, this.config.leaseMs);
        if (!token) {
          const now = await this.store.get(row.id);
          if (now && now.finished_at === null) return 'busy';
          continue; // finished by another process meanwhile
        }
        await this.runClaimed(row, token);
      }
    }
  }

  private async runClaimed(row: OutboxRow, token: string): Promise<void> {
    const run = this.handlers.get(`${row.handler}|${row.name}`);
    if (!run) {
      // The module no longer subscribes to this event (code changed): nothing to run.
      this.log.warn({ event: row.name, module: row.handler, eventId: row.event_id }, 'event delivery skipped: no handler any more');
      await this.store.finish(row.id, token);
      return;
    }
    const heartbeat = setInterval(() => {
      this.store.extend(row.id, token, this.config.leaseMs).catch((err: unknown) => this.log.warn({ err, delivery: row.id }, 'event delivery lease renewal failed'));
    }, Math.max(50, Math.floor(this.config.leaseMs / 2)));
    heartbeat.unref();
    try {
      await run(JSON.parse(row.payload), { eventId: row.event_id!, occurredAt: iso(row.created_at), key: row.key! });
    } catch (err) {
      clearInterval(heartbeat);
      this.log.warn({ err, event: row.name, module: row.handler, eventId: row.event_id }, 'event handler failed; it will be retried');
      try {
        this.onFailure?.(row.handler!, row.name, err, row.event_id!);
      } catch {
        // Observing a failure must never change what happens to the delivery.
      }
      await this.store.release(row.id, token).catch(() => {});
      throw err;
    }
    clearInterval(heartbeat);
    await this.store.finish(row.id, token);
  }

  /** The delivery job: drains the row's (handler, key); fails (and retries) while the row is still unfinished. */
  async runJob(id: string): Promise<void> {
    const row = await this.store.get(id);
    if (!row || row.finished_at !== null) return;
    await this.drain(row.handler!, row.key!);
    const after = await this.store.get(id);
    if (after && after.finished_at === null) {
      throw new Error(`Event ${row.event_id} (${row.name}) waits for an earlier event of key "${row.key}" that ${row.handler} is running elsewhere`);
    }
  }

  /** Hands rows to the queue (BullMQ) and marks them relayed; queueing one twice is a no-op by job id. */
  async relay(queue: Queue, rows: OutboxRow[]): Promise<void> {
    for (const row of rows) {
      if (row.kind === 'delivery') {
        await queue.enqueue(deliveryJobName(row.handler!, row.name), { id: row.id }, deliveryJobOptions(row, this.config));
      } else {
        const opts = row.options ? (JSON.parse(row.options) as { delayMs?: number; attempts?: number; backoffMs?: number }) : {};
        const delayMs = Math.max(0, Number(row.created_at) + (opts.delayMs ?? 0) - Date.now());
        await queue.enqueue(row.name, JSON.parse(row.payload), { ...opts, delayMs, jobId: row.id });
      }
    }
    await this.store.markRelayed(rows.map((r) => r.id));
  }
}
