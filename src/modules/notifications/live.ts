import type { KernelContext } from '../../core/module.js';

/** The realtime channel of a recipient: `user:{id}` or `guest:{id}` (kernel channels, only their owner may subscribe). */
export const liveChannel = (type: 'user' | 'guest', id: string) => `${type}:${id}`;

/** The kernel's realtime publisher (src/core/realtime): every replica's subscribers get the message. */
export const realtimeOf = (ctx: KernelContext) => ctx.realtime;
