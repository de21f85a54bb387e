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

/**
 * In-process typed event bus. `emit` runs every handler in registration order and waits for
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
