import type { PubSub, Unsubscribe } from './contract.js';
import { deliver, encodeMessage, once, type Handler, type PubSubOptions, type Subscription } from './shared.js';

/** In-process fan-out for the embedded shape (one process: every subscriber lives here). */
export class MemoryPubSub implements PubSub {
  private readonly channels = new Map<string, Set<Subscription>>();

  constructor(private readonly opts: PubSubOptions = {}) {}

  async publish(channel: string, message: unknown): Promise<void> {
    const raw = encodeMessage(message);
    const subs = this.channels.get(channel);
    if (!subs) return;
    for (const sub of subs) deliver(sub, raw, channel, this.opts.onError);
  }

  async subscribe(channel: string, handler: Handler): Promise<Unsubscribe> {
    const sub: Subscription = { handler, active: true };
    let subs = this.channels.get(channel);
    if (!subs) this.channels.set(channel, (subs = new Set()));
    subs.add(sub);
    return once(async () => {
      sub.active = false;
      subs.delete(sub);
      if (subs.size === 0 && this.channels.get(channel) === subs) this.channels.delete(channel);
    });
  }

  async close(): Promise<void> {
    for (const subs of this.channels.values()) for (const sub of subs) sub.active = false;
    this.channels.clear();
  }
}
