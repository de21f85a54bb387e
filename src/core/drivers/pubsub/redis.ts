import type { History, PubSub, Retention, Unsubscribe } from './contract.js';
import { checkRetention, deliver, encodeMessage, historyAfter, once, type Handler, type PubSubOptions, type StoredEntry, type Subscription } from './shared.js';
import { closeRedis, createRedis, luaScript, resolveRedis, type Redis, type RedisSource } from '../redis-connection.js';

/**
 * append in one step on the Redis server: take the stream's next n (a missing stream starts a
 * generation at this time), keep the entry (trimmed by count), refresh both keys' expiry, and
 * PUBLISH. Redis runs scripts one at a time, so the order of ids is the order of publication on
 * every replica, whichever replica appended. The message is JSON text spliced in as is.
 * KEYS: state hash (g, n), entry list. ARGV: stream as JSON, message JSON, count, ttl ms, full channel, now ms.
 * Returns the id.
 */
const appendScript = luaScript<string>(
  `
redis.call('HSETNX', KEYS[1], 'g', ARGV[6])
local g = redis.call('HGET', KEYS[1], 'g')
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local id = g .. '-' .. n
local count = tonumber(ARGV[3])
if count > 0 then
  redis.call('RPUSH', KEYS[2], '{"id":"' .. id .. '","at":' .. ARGV[6] .. ',"m":' .. ARGV[2] .. '}')
  redis.call('LTRIM', KEYS[2], -count, -1)
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', ARGV[5], '{"stream":' .. ARGV[1] .. ',"id":"' .. id .. '","at":' .. ARGV[6] .. ',"message":' .. ARGV[2] .. '}')
return id
`,
  2,
);

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

  async append(channel: string, stream: string, message: unknown, retain: Retention): Promise<{ id: string; at: number }> {
    if (this.closed) throw new Error('PubSub is closed');
    checkRetention(retain);
    const m = encodeMessage(message);
    const at = Date.now();
    const ttl = Math.ceil(retain.maxAgeMs);
    const [state, log] = this.streamKeys(stream);
    const id = await appendScript(this.publisher, [state, log], [JSON.stringify(stream), m, retain.count, ttl, this.prefix + channel, at]);
    return { id: String(id), at };
  }

  async history(stream: string, afterId: string, retain: Retention): Promise<History> {
    if (this.closed) throw new Error('PubSub is closed');
    checkRetention(retain);
    const [state, log] = this.streamKeys(stream);
    // MULTI: the state and the entries are read at one instant.
    const res = await this.publisher.multi().hmget(state, 'g', 'n').lrange(log, 0, -1).exec();
    if (!res) throw new Error('history read was aborted');
    for (const [err] of res) if (err) throw err;
    const [g, n] = res[0]![1] as [string | null, string | null];
    const entries = (res[1]![1] as string[]).map((raw) => JSON.parse(raw) as { id: string; at: number; m: unknown });
    const stored: StoredEntry[] = entries.map((e) => ({ id: e.id, at: e.at, m: JSON.stringify(e.m) }));
    return historyAfter(stream, g && n ? { gen: Number(g), n: Number(n) } : null, stored, afterId, retain.maxAgeMs, Date.now());
  }

  /** A stream's state hash and entry list; braces keep both in one Redis Cluster slot. */
  private streamKeys(stream: string): [string, string] {
    return [`${this.prefix}stream:{${stream}}:state`, `${this.prefix}stream:{${stream}}:log`];
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
