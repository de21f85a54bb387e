import type { PubSub, Unsubscribe } from './contract.js';
import { deliver, encodeMessage, once, type Handler, type PubSubOptions, type Subscription } from './shared.js';
import { closeRedis, createRedis, resolveRedis, type Redis, type RedisSource } from '../redis-connection.js';

export type RedisPubSubOptions = RedisSource & PubSubOptions & { prefix: string };

interface Channel {
  subs: Set<Subscription>;
  /** Settles when Redis has confirmed the SUBSCRIBE for this channel. */
  ready: Promise<unknown>;
}

/**
 * Redis pub/sub: every replica's subscriber connection gets each message once, and hands it to
 * each local handler once. A connection in subscriber mode cannot publish, hence two connections;
 * the subscriber one is always ours (a duplicate when a client is passed in).
 */
export class RedisPubSub implements PubSub {
  private readonly publisher: Redis;
  private readonly ownsPublisher: boolean;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly onError: PubSubOptions['onError'];
  /** Keyed by the full (prefixed) Redis channel name. */
  private readonly channels = new Map<string, Channel>();
  private closed = false;

  constructor(opts: RedisPubSubOptions) {
    const { client, owned } = resolveRedis(opts, 'neptuno:pubsub');
    this.publisher = client;
    this.ownsPublisher = owned;
    this.prefix = opts.prefix;
    this.onError = opts.onError;
    // The subscriber waits out an outage (SUBSCRIBE is replayed on reconnect) instead of failing
    // fast like request-path connections do.
    if (opts.url) this.subscriber = createRedis(opts.url, { name: 'neptuno:pubsub:sub', failFast: false });
    else {
      this.subscriber = client.duplicate({ connectionName: 'neptuno:pubsub:sub', enableOfflineQueue: true, maxRetriesPerRequest: 3, commandTimeout: undefined });
      this.subscriber.on('error', () => {});
    }
    this.subscriber.on('message', (channel: string, raw: string) => this.dispatch(channel, raw));
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.closed) throw new Error('PubSub is closed');
    await this.publisher.publish(this.prefix + channel, encodeMessage(message));
  }

  async subscribe(channel: string, handler: Handler): Promise<Unsubscribe> {
    if (this.closed) throw new Error('PubSub is closed');
    const full = this.prefix + channel;
    const sub: Subscription = { handler, active: true };
    let entry = this.channels.get(full);
    if (!entry) {
      // The first local handler subscribes in Redis; later ones share that subscription.
      entry = { subs: new Set(), ready: this.subscriber.subscribe(full) };
      this.channels.set(full, entry);
    }
    entry.subs.add(sub);
    const current = entry;
    const unsubscribe = once(async () => {
      sub.active = false;
      current.subs.delete(sub);
      if (current.subs.size > 0 || this.channels.get(full) !== current) return;
      this.channels.delete(full);
      // Commands on one connection run in order: a later SUBSCRIBE for this channel is sent after
      // this UNSUBSCRIBE, so a quick unsubscribe/subscribe sequence ends subscribed.
      if (!this.closed) await current.ready.then(() => this.subscriber.unsubscribe(full), () => undefined);
    });
    try {
      await current.ready;
    } catch (err) {
      await unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.channels.values()) for (const sub of entry.subs) sub.active = false;
    this.channels.clear();
    await closeRedis(this.subscriber);
    if (this.ownsPublisher) await closeRedis(this.publisher);
  }

  private dispatch(channel: string, raw: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    for (const sub of entry.subs) deliver(sub, raw, channel.slice(this.prefix.length), this.onError);
  }
}
