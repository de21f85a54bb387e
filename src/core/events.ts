import type { Logger } from 'pino';

/**
 * Domain events and their payloads. Modules add their own by declaration merging:
 *
 *   declare module '../../core/events.js' {
 *     interface DomainEvents { 'points.awarded': { actorId: string; points: number } }
 *   }
 */
export interface DomainEvents {
  'settings.changed': { keys: string[] };
}

export type EventName = keyof DomainEvents & string;
export type EventHandler<E extends EventName> = (payload: DomainEvents[E]) => Promise<void> | void;

/** What a module's `on:` handler gets besides the payload. */
export interface EventMeta {
  /** Stable across redeliveries: a handler can key its effect on it to stay idempotent. */
  eventId: string;
  /** When the emitting transaction wrote the event (ISO 8601 UTC). */
  occurredAt: string;
  /** Events with one key reach each handler in the order they were committed. */
  key: string;
}

export interface EmitOptions {
  /**
   * Ordering key: a handler gets the events of one key in commit order, one at a time. Default:
   * the payload's `userId`, `actorId` or `guestId` when it is a string, else the event id (no order).
   */
  key?: string;
}

/** A committed event as observers see it (the test recorder, local listeners). */
export interface EmittedEvent {
  id: string;
  name: EventName;
  payload: unknown;
  key: string;
  occurredAt: string;
}

/**
 * `ctx.events`. `on` subscribes a local listener on this replica: it hears settings.changed and
 * every domain event this process commits (after the commit, best effort, not durable).
 *
 * `emit` outside a transaction is a transaction with just that event (through the outbox, so
 * modules' `on:` handlers get it durably) that waits for this process's prompt delivery of it;
 * inside `ctx.tx` it is `trx.emit`. New code should call `trx.emit` in the transaction that
 * makes the change. `notify` runs only the local listeners and waits for them; a failing one
 * is logged and its error re-thrown after the others ran.
 */
export class EventBus {
  private readonly handlers = new Map<string, Array<{ owner: string; fn: (p: unknown) => unknown }>>();
  private durable: ((name: EventName, payload: unknown, opts?: EmitOptions) => Promise<void>) | null = null;

  constructor(private readonly log?: Logger) {}

  /** The kernel routes `emit` through the outbox (see outbox/outbox.ts). */
  routeThrough(durable: (name: EventName, payload: unknown, opts?: EmitOptions) => Promise<void>): void {
    this.durable = durable;
  }

  on<E extends EventName>(name: E, handler: EventHandler<E>, owner = 'app'): () => void {
    const list = this.handlers.get(name) ?? [];
    const entry = { owner, fn: handler as (p: unknown) => unknown };
    list.push(entry);
    this.handlers.set(name, list);
    return () => {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
    };
  }

  async emit<E extends EventName>(name: E, payload: DomainEvents[E], opts?: EmitOptions): Promise<void> {
    if (this.durable) return this.durable(name, payload, opts);
    return this.notify(name, payload);
  }

  async notify<E extends EventName>(name: E, payload: DomainEvents[E]): Promise<void> {
    const list = this.handlers.get(name);
    if (!list?.length) return;
    let firstError: unknown;
    for (const { owner, fn } of [...list]) {
      try {
        await fn(payload);
      } catch (err) {
        this.log?.error({ err, event: name, module: owner }, 'event handler failed');
        firstError ??= err;
      }
    }
    if (firstError) throw firstError;
  }

  listenerCount(name: EventName): number {
    return this.handlers.get(name)?.length ?? 0;
  }
}
