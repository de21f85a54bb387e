import { HttpProblem } from '../../core/http/problem.js';
import type { EventMeta } from '../../core/events.js';
import type { ModuleContext } from '../../core/module.js';
import type { EventWiring, NotificationsConfig } from './config.js';
import type { Target } from './recipients.js';

/** Reads `a.b.c` from a payload. */
function at(payload: unknown, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split('.')) v = v && typeof v === 'object' && Object.hasOwn(v, part) ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/**
 * The recipient an event names, per the wiring's `to`: `actor` reads `{ actorType, actorId }`
 * (gamification); a path ending in userId, guestId or tenantId reads that id. Null: nobody.
 */
export function targetOf(payload: unknown, to: string): Target | null {
  if (to.includes('|')) {
    for (const alt of to.split('|')) {
      const found = targetOf(payload, alt);
      if (found) return found;
    }
    return null;
  }
  if (to === 'actor') {
    const type = at(payload, 'actorType');
    const id = at(payload, 'actorId');
    if (typeof id !== 'string' || !id) return null;
    return type === 'user' ? { userId: id } : type === 'guest' ? { guestId: id } : null;
  }
  const id = at(payload, to);
  if (typeof id !== 'string' || !id) return null;
  const field = to.split('.').pop()!;
  if (field === 'guestId') return { guestId: id };
  if (field === 'tenantId') return { tenantId: id };
  return { userId: id };
}

/**
 * Subscribes one outbox handler per wired event (`modules.notifications.events`), so domain
 * events become notifications by configuration. The event's payload is the template data; the
 * event id is the send's idempotency key, so a redelivered event notifies once.
 */
export function wireEvents(ctx: ModuleContext<NotificationsConfig>, handled: Record<string, (payload: unknown, meta: EventMeta) => Promise<void>>): void {
  for (const [event, wiring] of Object.entries(ctx.config.events)) {
    const own = handled[event];
    ctx.outbox.subscribe('notifications', event, async (payload, meta) => {
      if (own) await own(payload, meta);
      await notifyFor(ctx, event, wiring, payload, meta);
    });
  }
  // Events the module handles for itself but nobody wired.
  for (const [event, run] of Object.entries(handled)) {
    if (!Object.hasOwn(ctx.config.events, event)) ctx.outbox.subscribe('notifications', event, run);
  }
}

async function notifyFor(ctx: ModuleContext<NotificationsConfig>, event: string, wiring: EventWiring, payload: unknown, meta: EventMeta): Promise<void> {
  const to = targetOf(payload, wiring.to);
  if (!to) return void ctx.log.debug({ event }, 'wired event names no recipient; nothing sent');
  try {
    await ctx.services.notifications.send({
    to,
    type: wiring.type,
    data: payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : { value: payload },
    ...(wiring.channels ? { channels: wiring.channels } : {}),
    ...(wiring.critical !== undefined ? { critical: wiring.critical } : {}),
    key: `event:${meta.eventId}:${wiring.type}`,
    });
  } catch (err) {
    // A wiring that can never work (an unknown type, data that does not fill the template) is a
    // configuration error: retrying the event would not fix it, so it is logged, not thrown.
    if (err instanceof HttpProblem) return void ctx.log.error({ event, type: wiring.type, code: err.code }, 'wired event could not become a notification');
    throw err;
  }
}
