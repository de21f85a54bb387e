import type { EmittedEvent, EventName, DomainEvents } from '../core/events.js';
import type { KernelContext } from '../core/module.js';

export interface EventRecorder {
  /** Names of the committed events, in commit order. */
  names(): string[];
  /** Payloads of one event, in commit order. */
  payloads<E extends EventName>(name: E): DomainEvents[E][];
  /** Everything recorded: id, name, payload, key, occurredAt. */
  all(): EmittedEvent[];
  clear(): void;
  /** Waits until the deliveries these events started in this process (and their consequences) have finished. */
  settled(): Promise<void>;
  stop(): void;
}

/**
 * Records the domain events an app commits (emitted with `trx.emit`; rolled back ones never
 * appear), for tests that assert which events fired:
 *
 * @example
 *   const events = recordEvents(t);
 *   await t.app.inject({ method: 'POST', url: '/v1/guestbook/entries', payload: { message: 'hola' } });
 *   expect(events.names()).toEqual(['guestbook.entry_created']);
 *   await events.settled(); // the modules' handlers have run
 */
export function recordEvents(app: { ctx: KernelContext }): EventRecorder {
  const seen: EmittedEvent[] = [];
  const stop = app.ctx.outbox.observe((e) => void seen.push(e));
  return {
    names: () => seen.map((e) => e.name),
    payloads: <E extends EventName>(name: E) => seen.filter((e) => e.name === name).map((e) => e.payload as DomainEvents[E]),
    all: () => [...seen],
    clear: () => void (seen.length = 0),
    settled: () => app.ctx.outbox.settled(),
    stop: () => void stop(),
  };
}

/** Waits until the app's prompt event deliveries (and the ones they caused) have finished. */
export function settle(app: { ctx: KernelContext }): Promise<void> {
  return app.ctx.outbox.settled();
}
