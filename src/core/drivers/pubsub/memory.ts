import { LRUCache } from 'lru-cache';
import type { History, PubSub, Retention, Unsubscribe } from './contract.js';
import { checkRetention, deliver, encodeMessage, historyAfter, once, type Handler, type PubSubOptions, type StoredEntry, type Subscription } from './shared.js';

interface Stream {
  gen: number;
  n: number;
  entries: StoredEntry[];
}

/** Streams with history kept in memory at most; the least recently appended beyond it are forgotten (a new generation). */
const MAX_STREAMS = 100_000;

/** In-process fan-out for the embedded shape (one process: every subscriber lives here). */
export class MemoryPubSub implements PubSub {
  private readonly channels = new Map<string, Set<Subscription>>();
  private readonly streams = new LRUCache<string, Stream>({ max: MAX_STREAMS });

  constructor(private readonly opts: PubSubOptions = {}) {}

  async publish(channel: string, message: unknown): Promise<void> {
    this.dispatch(channel, encodeMessage(message));
  }

  async append(channel: string, stream: string, message: unknown, retain: Retention): Promise<{ id: string; at: number }> {
    checkRetention(retain);
    const m = encodeMessage(message);
    const at = Date.now();
    // Gone (idle past maxAgeMs, or evicted): a new generation, so ids never repeat.
    let s = this.streams.get(stream);
    if (!s) s = { gen: at, n: 0, entries: [] };
    s.n += 1;
    const id = `${s.gen}-${s.n}`;
    if (retain.count > 0) {
      s.entries.push({ id, at, m });
      if (s.entries.length > retain.count) s.entries.splice(0, s.entries.length - retain.count);
    }
    this.streams.set(stream, s, { ttl: retain.maxAgeMs });
    // Synchronously after the id is taken: subscribers see a stream's messages in id order.
    this.dispatch(channel, `{"stream":${JSON.stringify(stream)},"id":"${id}","at":${at},"message":${m}}`);
    return { id, at };
  }

  async history(stream: string, afterId: string, retain: Retention): Promise<History> {
    checkRetention(retain);
    const s = this.streams.get(stream);
    return historyAfter(stream, s ? { gen: s.gen, n: s.n } : null, s?.entries ?? [], afterId, retain.maxAgeMs, Date.now());
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
    this.streams.clear();
  }

  private dispatch(channel: string, raw: string): void {
    const subs = this.channels.get(channel);
    if (!subs) return;
    for (const sub of subs) deliver(sub, raw, channel, this.opts.onError);
  }
}
