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
 * In-process typed event bus: local notifications on this replica (settings.changed, and every
 * domain event committed by this process, best effort). Durable domain events are emitted with
 * `trx.emit` inside `ctx.tx` and reach modules' `on:` handlers through the outbox (outbox/). `emit` runs every handler in registration order and waits for
 * them; a failing handler is logged and the error is re-thrown after the others ran, so an
 * emitter inside a transaction can roll back.
 */
export class EventBus {
  private readonly handlers = new Map<string, Array<{ owner: string; fn: (p: unknown) => unknown }>>();

  constructor(private readonly log?: Logger) {}

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

  async emit<E extends EventName>(name: E, payload: DomainEvents[E]): Promise<void> {
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
