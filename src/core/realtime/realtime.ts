import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { RealtimeConfig } from '../config/schema.js';
import type { Database } from '../db/database.js';
import type { PubSub, SequencedMessage, Unsubscribe } from '../drivers/pubsub/contract.js';
import type { Access, Actor } from '../http/access.js';
import type { I18n, Locale } from '../i18n/index.js';
import type { TxHandle } from '../outbox/outbox.js';
import { addKernelChannels, ChannelRegistry } from './channels.js';
import { Connection, type ConnectionHost } from './connection.js';
import { CLOSE, type ErrorCode } from './protocol.js';
import type { RealtimeMetrics } from './metrics.js';

/** What modules use: `ctx.realtime.publish(channel, data)`. */
export interface RealtimePublisher {
  /**
   * Sends `data` (JSON) to every subscriber of `channel` on every replica, once, numbered and kept
   * for resume. Inside `ctx.tx` it waits for the commit (nothing is sent on a rollback) and
   * resolves at once; outside, it resolves when the message is published. Throws for a channel
   * name no declaration matches, and for data larger than `realtime.limits.maxMessageBytes`.
   */
  publish(channel: string, data: unknown): Promise<void>;
}

/** The one pub/sub channel every realtime message travels on: one subscription per replica. */
const TOPIC = 'realtime';

export interface RealtimeOptions {
  config: RealtimeConfig;
  pubsub: PubSub;
  database: Database;
  access: Access;
  i18n: I18n;
  log: Logger;
  metrics: RealtimeMetrics;
}

/**
 * The realtime kernel: channel declarations, publishing through the pub/sub driver (numbered
 * and kept per channel, so a client can resume), this replica's sockets and their fan-out, the
 * heartbeat, connection limits and graceful close. Docs: docs/realtime.md.
 */
export class Realtime implements RealtimePublisher, ConnectionHost {
  readonly channels = new ChannelRegistry();
  readonly limits: RealtimeConfig['limits'];
  /** This replica's sockets per channel. */
  private readonly local = new Map<string, Set<Connection>>();
  private readonly connections = new Set<Connection>();
  private readonly perIp = new Map<string, number>();
  private readonly perActor = new Map<string, number>();
  private stopListening?: Unsubscribe;
  private heartbeat?: NodeJS.Timeout;
  private stopping = false;

  constructor(private readonly opts: RealtimeOptions) {
    this.limits = opts.config.limits;
    addKernelChannels(this.channels, opts.access);
    opts.metrics.observe(this);
  }

  get config(): RealtimeConfig {
    return this.opts.config;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  publish = async (channel: string, data: unknown): Promise<void> => {
    if (!this.channels.match(channel)) throw new Error(`No module declares the realtime channel "${channel}" (channels: in defineModule)`);
    const size = JSON.stringify(data)?.length;
    if (size === undefined) throw new TypeError('Realtime data must be JSON-serializable');
    if (size > this.limits.maxMessageBytes) throw new RangeError(`Realtime message of ${size} bytes exceeds realtime.limits.maxMessageBytes (${this.limits.maxMessageBytes})`);
    const open = this.opts.database.openTransaction();
    if (open) {
      // Inside ctx.tx: after the commit only. (database.tx alone has no handle: a kernel misuse.)
      if (!open.handle) throw new Error('ctx.realtime.publish inside database.tx: use ctx.tx');
      (open.handle as TxHandle).afterCommit(() => this.append(channel, data));
      return;
    }
    await this.append(channel, data);
  };

  private async append(channel: string, data: unknown): Promise<void> {
    await this.opts.pubsub.append(TOPIC, channel, data, this.opts.config.replay);
    this.opts.metrics.published.inc();
  }

  /** Starts listening for every replica's messages, and the heartbeat. */
  async start(): Promise<void> {
    this.stopListening = await this.opts.pubsub.subscribe(TOPIC, (m) => this.dispatch(m as SequencedMessage));
    const { heartbeatMs, idleTimeoutMs } = this.opts.config;
    // One timer for all sockets, not one per socket.
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      for (const conn of this.connections) {
        if (now - conn.lastSeen > idleTimeoutMs) conn.socket.terminate();
        else if (conn.socket.readyState === 1) conn.socket.ping();
      }
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  /** Hands a published message to this replica's subscribers: one frame text, shared by all of them. */
  private dispatch(m: SequencedMessage): void {
    const subs = this.local.get(m.stream);
    if (!subs?.size) return;
    const frame = messageFrame(m);
    for (const conn of subs) conn.deliver(m.stream, m.id, frame);
  }

  // ---- Admission (before the upgrade) ----

  /** Takes a slot for a new socket of this IP and actor, or says which limit is full. Release with the returned function. */
  admit(ip: string, actor: Actor | null): (() => void) | null {
    const actorKey = actor ? `${actor.type}:${actor.id}` : null;
    if ((this.perIp.get(ip) ?? 0) >= this.limits.connectionsPerIp) return null;
    if (actorKey && (this.perActor.get(actorKey) ?? 0) >= this.limits.connectionsPerActor) return null;
    bump(this.perIp, ip, 1);
    if (actorKey) bump(this.perActor, actorKey, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      bump(this.perIp, ip, -1);
      if (actorKey) bump(this.perActor, actorKey, -1);
    };
  }

  /** A socket that passed the upgrade: welcome it and take its frames. */
  accept(socket: WebSocket, request: FastifyRequest, actor: Actor | null): Connection {
    const locale = this.opts.i18n.negotiate(request.headers['accept-language']);
    const conn = new Connection(randomUUID(), socket, actor, locale, this);
    this.connections.add(conn);
    if (this.stopping) conn.close(CLOSE.goingAway, 'server shutting down');
    return conn;
  }

  // ---- ConnectionHost ----

  async subscribe(conn: Connection, channel: string): Promise<ErrorCode | null> {
    const match = this.channels.match(channel);
    if (!match) return 'channel_unknown';
    if (!(await match.authorize(conn.actor, match.params))) return 'channel_forbidden';
    // The socket may have left or unsubscribed while authorize ran.
    if (!conn.subscriptions.has(channel) || !this.connections.has(conn)) return null;
    let subs = this.local.get(channel);
    if (!subs) this.local.set(channel, (subs = new Set()));
    subs.add(conn);
    return null;
  }

  unsubscribe(conn: Connection, channel: string): void {
    const subs = this.local.get(channel);
    if (!subs) return;
    subs.delete(conn);
    if (subs.size === 0) this.local.delete(channel);
  }

  async history(channel: string, lastId: string): Promise<{ frames: Array<{ id: string; frame: string }>; complete: boolean }> {
    const h = await this.opts.pubsub.history(channel, lastId, this.opts.config.replay);
    return { complete: h.complete, frames: h.entries.map((m) => ({ id: m.id, frame: messageFrame(m) })) };
  }

  errorText(locale: Locale, code: ErrorCode): string {
    return this.opts.i18n.t(locale, `realtime.${code}`) ?? code;
  }

  counted(what: 'in' | 'out' | 'slow'): void {
    this.opts.metrics.count(what);
  }

  closed(conn: Connection): void {
    this.connections.delete(conn);
  }

  // ---- Shutdown ----

  /**
   * Closes every socket with 1001 (going away) so clients reconnect, to another replica when this
   * one is leaving; sockets that have not finished the close handshake after `graceMs` are cut.
   */
  async close(graceMs = 2_000): Promise<void> {
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    const open = [...this.connections];
    const done = Promise.all(open.map((c) => new Promise<void>((resolve) => (c.socket.readyState === 3 ? resolve() : c.socket.once('close', () => resolve())))));
    for (const c of open) c.close(CLOSE.goingAway, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const c of this.connections) c.socket.terminate();
    await this.stopListening?.();
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}

/** The message frame's JSON text; `data` is the published value. */
export function messageFrame(m: SequencedMessage): string {
  return JSON.stringify({ type: 'message', channel: m.stream, id: m.id, data: m.message, at: new Date(m.at).toISOString() });
}
