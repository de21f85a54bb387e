import type { Logger } from 'pino';
import type { RecordedEvent } from './events.js';

interface Pending {
  events: RecordedEvent[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit. Requests hand their events over and wait; while one transaction is being
 * committed, the events that arrive meanwhile gather, and go together in the next one (at most
 * `maxBatch` events, whole requests only). So one commit serves many requests under load, and a
 * lone request waits for no timer. A request is answered only once its events are committed:
 * an acknowledged event is never lost to a crash. If a commit fails, every request in it gets
 * the error (nothing of that batch was written) and the next batch goes on.
 * `stop()` refuses new events and waits for everything already handed over.
 */
export class BatchWriter {
  private queue: Pending[] = [];
  private queued = 0;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly commit: (events: RecordedEvent[]) => Promise<void>,
    private readonly maxBatch: number,
    private readonly log: Logger,
  ) {}

  /** Resolves once `events` are committed. */
  write(events: RecordedEvent[]): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('tracking writer stopped'));
    if (!events.length) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.queue.push({ events, resolve, reject }));
    this.queued += events.length;
    this.running ??= this.drain();
    return done;
  }

  /** Events handed over and not yet committed. */
  get backlog(): number {
    return this.queued;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch: Pending[] = [];
        let n = 0;
        while (this.queue.length && (batch.length === 0 || n + this.queue[0]!.events.length <= this.maxBatch)) {
          const p = this.queue.shift()!;
          batch.push(p);
          n += p.events.length;
        }
        this.queued -= n;
        try {
          await this.commit(batch.flatMap((p) => p.events));
          for (const p of batch) p.resolve();
        } catch (err) {
          this.log.error({ err, events: n }, 'tracking: a batch of events could not be written');
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.running = null;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running) await this.running;
  }
}
