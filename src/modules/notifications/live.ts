import type { KernelContext } from '../../core/module.js';

interface Publisher {
  publish(channel: string, data: unknown): Promise<void>;
}

/**
 * The kernel's realtime publisher (`ctx.realtime`, src/core/realtime) when this build has one.
 * Looked up at run time so the module works with or without it: without it, the inbox is
 * simply not pushed live (clients still read it with GET /v1/notifications).
 */
export function realtimeOf(ctx: KernelContext): Publisher | null {
  const rt = (ctx as unknown as { realtime?: Publisher }).realtime;
  return rt && typeof rt.publish === 'function' ? rt : null;
}

/** The realtime channel of a recipient: `user:{id}` or `guest:{id}` (kernel channels). */
export const liveChannel = (type: 'user' | 'guest', id: string) => `${type}:${id}`;
