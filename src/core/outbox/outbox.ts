import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database, Trx, TxOptions } from '../db/database.js';
import type { JobOptions, Queue } from '../drivers/queue/contract.js';
import { resolveJobOptions } from '../drivers/queue/shared.js';
import { SqlQueue } from '../drivers/queue/sql.js';
import type { DomainEvents, EmitOptions, EmittedEvent, EventBus, EventName } from '../events.js';
import type { JobPayload } from '../module.js';
import { Deliverer, deliveryJobName, deliveryJobOptions, type DeliveryConfig, type DeliveryHandler } from './delivery.js';
import { OutboxStore, type NewOutboxRow, type OutboxRow } from './store.js';

/** What `ctx.tx` adds to the Kysely transaction: consequences that commit with it. */
export interface TxConsequences {
  /**
   * Writes the event to the outbox in this transaction; after commit every module's `on:`
   * handler for it runs at least once (once per handler across replicas). Returns the event id.
   */
  emit<E extends EventName>(name: E, payload: DomainEvents[E], opts?: EmitOptions): string;
  /** Writes the job in this transaction: it is queued if and only if the transaction commits. Returns the job id. */
  enqueue<J extends string>(job: J, payload: JobPayload<J>, opts?: JobOptions): string;
  /** Runs fn after the commit (never after a rollback), best effort: an error is logged. */
  afterCommit(fn: () => unknown): void;
}

/** The transaction handle `ctx.tx` passes to its callback. */
export type TxHandle = Trx & TxConsequences;

interface Batch {
  events: Array<Omit<EmittedEvent, 'occurredAt'>>;
  jobs: Array<{ id: string; name: string; payload: unknown; opts: JobOptions }>;
  after: Array<() => unknown>;
  /** Outbox rows written at commit (deliveries and, with BullMQ, jobs). */
  rows: NewOutboxRow[];
  occurredAt: string;
  sealed: boolean;
}

/** The default ordering key: the payload's user, actor or guest; otherwise none (the event's own id). */
function defaultKey(payload: unknown, id: string): string {
  const p = payload as Record<string, unknown> | null;
  for (const field of ['userId', 'actorId', 'guestId']) if (p && typeof p[field] === 'string') return p[field] as string;
  return id;
}

/**
 * The transactional outbox: `ctx.tx` with `trx.emit`, `trx.enqueue` and `trx.afterCommit`, and the
 * delivery of events to modules' `on:` handlers (see docs/kernel.md, "Domain events").
 */
export class Outbox {
  readonly store: OutboxStore;
  private readonly deliverer: Deliverer;
  private readonly subscribers = new Map<string, string[]>();
  private readonly observers = new Set<(e: EmittedEvent) => void>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly sqlQueue: SqlQueue | null;
  private relayTimer: NodeJS.Timeout | null = null;
  private relaying = false;

  constructor(
    private readonly database: Database,
    private readonly queue: Queue,
    private readonly bus: EventBus,
    private readonly config: DeliveryConfig,
    private readonly log: Logger,
  ) {
    this.store = new OutboxStore(database);
    this.deliverer = new Deliverer(this.store, config, log);
    // The SQL queue lives in this database: its job rows are written by the transaction itself.
    this.sqlQueue = queue instanceof SqlQueue ? queue : null;
    bus.routeThrough((name, payload, opts) => this.publish(name, payload, opts));
  }

  /** Told of every event handler that throws (metrics, error reporting). */
  set onHandlerError(fn: ((module: string, event: string, err: unknown, eventId: string) => void) | null) {
    this.deliverer.onFailure = fn;
  }

  /** Subscribes a module's handler to an event; its retries run as the job `<module>.on.<event>`. */
  subscribe(handler: string, event: string, run: DeliveryHandler): void {
    this.subscribers.set(event, [...(this.subscribers.get(event) ?? []), handler]);
    this.deliverer.add(handler, event, run);
    this.queue.register(deliveryJobName(handler, event), (payload: { id: string }) => this.deliverer.runJob(payload.id));
  }

  /** Calls fn with every event this process commits (the test recorder). Returns the unsubscribe. */
  observe(fn: (e: EmittedEvent) => void): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  /**
   * ctx.tx: fn runs in a transaction whose handle can emit, enqueue and defer work to after the
   * commit. Inside an open transaction (same async context) it joins that one.
   */
  async tx<T>(fn: (trx: TxHandle) => Promise<T>, opts?: TxOptions): Promise<T> {
    const open = this.database.openTransaction();
    if (open?.handle) return fn(open.handle as TxHandle);
    const { result, delivered } = await this.transact(fn, opts);
    if (opts?.awaitDelivery) await delivered;
    return result;
  }

  /**
   * `ctx.events.emit`: inside an open transaction, trx.emit; outside, a transaction of its own
   * whose prompt delivery in this process it waits for (as the in-process bus used to).
   */
  async publish(name: EventName, payload: unknown, opts?: EmitOptions): Promise<void> {
    const open = this.database.openTransaction();
    if (open?.handle) {
      (open.handle as TxHandle).emit(name, payload as never, opts);
      return;
    }
    const { delivered } = await this.transact(async (trx) => void trx.emit(name, payload as never, opts));
    await delivered;
  }

  private async transact<T>(fn: (trx: TxHandle) => Promise<T>, opts?: TxOptions): Promise<{ result: T; delivered: Promise<unknown> }> {
    if (this.database.openTransaction()) throw new Error('ctx.tx called inside database.tx: use ctx.tx for both');
    let batch!: Batch;
    const result = await this.database.tx(async (trx) => {
      // A retried attempt (PostgreSQL serialization failure) starts from an empty batch.
      batch = { events: [], jobs: [], after: [], rows: [], occurredAt: '', sealed: false };
      const handle = this.handle(trx, batch);
      this.database.openTransaction()!.handle = handle;
      const out = await fn(handle);
      await this.flush(trx, batch);
      return out;
    }, opts);
    // Wrapped: a promise returned from an async function would be awaited with it.
    const { delivered } = await this.committed(batch);
    return { result, delivered };
  }

  /** ctx.enqueue: inside an open transaction it joins it (trx.enqueue); otherwise straight to the queue. */
  async enqueue(job: string, payload: unknown, opts?: JobOptions): Promise<string> {
    const open = this.database.openTransaction();
    if (open?.handle) return (open.handle as TxHandle).enqueue(job, payload, opts);
    return this.queue.enqueue(job, payload, opts);
  }

  private handle(trx: Trx, batch: Batch): TxHandle {
    const live = () => {
      if (batch.sealed) throw new Error('This transaction has ended: emit, enqueue and afterCommit must be called before its callback returns');
    };
    const consequences: TxConsequences = {
      emit: (name, payload, opts) => {
        live();
        const id = randomUUID();
        batch.events.push({ id, name, payload, key: opts?.key ?? defaultKey(payload, id) });
        return id;
      },
      enqueue: (job, payload, opts = {}) => {
        live();
        const id = resolveJobOptions(job, opts).jobId ?? randomUUID();
        batch.jobs.push({ id, name: job, payload, opts });
        return id;
      },
      afterCommit: (fn) => {
        live();
        batch.after.push(fn);
      },
    };
    // The handle is the Kysely transaction itself (its methods rely on private fields).
    return Object.assign(trx, consequences);
  }

  /** Writes the batch in the transaction, just before the commit: one statement per table. */
  private async flush(trx: Trx, batch: Batch): Promise<void> {
    batch.sealed = true;
    if (!batch.events.length && !batch.jobs.length) return;
    const now = Date.now();
    batch.occurredAt = new Date(now).toISOString();
    const viaSql = this.sqlQueue !== null;
    const keys: string[] = [];
    for (const e of batch.events) {
      const handlers = this.subscribers.get(e.name) ?? [];
      if (handlers.length) keys.push(e.key);
      const payload = JSON.stringify(e.payload ?? null);
      for (const handler of handlers) {
        batch.rows.push({ id: `${e.id}:${handler}`, kind: 'delivery', event_id: e.id, name: e.name, handler, key: e.key, payload, options: null, created_at: now, relayed_at: viaSql ? now : null });
      }
    }
    if (this.sqlQueue) {
      await this.sqlQueue.enqueueIn(trx, [
        ...batch.rows.map((r) => ({ name: deliveryJobName(r.handler!, r.name), payload: { id: r.id }, opts: deliveryJobOptions(r, this.config) })),
        ...batch.jobs.map((j) => ({ name: j.name, payload: j.payload, opts: { ...j.opts, jobId: j.id } })),
      ]);
    } else {
      for (const j of batch.jobs) {
        batch.rows.push({ id: j.id, kind: 'job', event_id: null, name: j.name, handler: null, key: null, payload: JSON.stringify(j.payload ?? null), options: JSON.stringify(j.opts), created_at: now, relayed_at: null });
      }
    }
    await this.store.insert(trx, batch.rows, keys);
  }

  /** After the commit: observers, afterCommit callbacks, then prompt delivery in this process (returned, not awaited). */
  private async committed(batch: Batch): Promise<{ delivered: Promise<unknown> }> {
    for (const e of batch.events) {
      const emitted = { ...e, occurredAt: batch.occurredAt };
      for (const observe of this.observers) observe(emitted);
      await this.bus.notify(e.name, e.payload as never).catch((err: unknown) => this.log.error({ err, event: e.name }, 'local event listener failed'));
    }
    for (const fn of batch.after) {
      try {
        await fn();
      } catch (err) {
        this.log.error({ err }, 'an afterCommit callback failed');
      }
    }
    if (this.sqlQueue) {
      if (batch.jobs.length) this.sqlQueue.notify();
    } else if (batch.rows.length) {
      void this.track(this.deliverer.relay(this.queue, batch.rows as OutboxRow[]));
    }
    const drains = new Map<string, [string, string]>();
    for (const r of batch.rows) if (r.kind === 'delivery') drains.set(`${r.handler}|${r.key}`, [r.handler!, r.key!]);
    return { delivered: Promise.all([...drains.values()].map(([handler, key]) => this.track(this.deliverer.drain(handler, key)))) };
  }

  private track(p: Promise<unknown>): Promise<unknown> {
    const tracked = p.catch((err: unknown) => this.log.debug({ err }, 'prompt delivery left to its job'));
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
    return tracked;
  }

  /** Resolves once this process's prompt deliveries (and the ones they caused) have finished. */
  async settled(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  /** Starts relaying rows the emitting process did not hand to BullMQ (it died). SQL queue: nothing to relay. */
  start(): void {
    if (this.sqlQueue || this.relayTimer) return;
    this.relayTimer = setInterval(() => void this.relayStale(), this.config.relayIntervalMs);
    this.relayTimer.unref();
  }

  async relayStale(): Promise<void> {
    if (this.relaying) return;
    this.relaying = true;
    try {
      for (;;) {
        const rows = await this.store.unrelayed(this.config.relayIntervalMs, 200);
        if (rows.length) await this.deliverer.relay(this.queue, rows);
        if (rows.length < 200) break;
      }
    } catch (err) {
      this.log.error({ err }, 'outbox relay failed; will retry');
    } finally {
      this.relaying = false;
    }
  }

  async stop(): Promise<void> {
    if (this.relayTimer) clearInterval(this.relayTimer);
    this.relayTimer = null;
    await this.settled();
  }
}
