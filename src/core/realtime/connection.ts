import type { WebSocket } from 'ws';
import type { Actor } from '../http/access.js';
import type { Locale } from '../i18n/index.js';
import { CLOSE, parseClientFrame, withDefined, type ErrorCode, type ServerFrame, type WelcomeActor } from './protocol.js';
import { compareIds } from './ids.js';

/** What a connection needs from the realtime kernel (realtime.ts). */
export interface ConnectionHost {
  readonly limits: { maxBufferedBytes: number; messagesPerSecond: number; subscriptionsPerConnection: number };
  /** Authorizes, registers the socket on the channel and answers what it missed (or null: reset). */
  subscribe(conn: Connection, channel: string): Promise<ErrorCode | null>;
  history(channel: string, lastId: string): Promise<{ frames: Array<{ id: string; frame: string }>; complete: boolean }>;
  unsubscribe(conn: Connection, channel: string): void;
  errorText(locale: Locale, code: ErrorCode): string;
  counted(what: 'in' | 'out' | 'slow'): void;
  closed(conn: Connection): void;
}

interface Subscription {
  /** While missed messages are being sent, live ones wait here (in order) so nothing overtakes. */
  pending: Array<{ id: string; frame: string }> | null;
}

/** The welcome frame's actor: what kind of caller this socket is, without secrets. */
export function describeActor(actor: Actor | null): WelcomeActor {
  if (!actor) return { kind: 'anonymous' };
  const kind = actor.type === 'guest' ? 'guest' : actor.type === 'service' ? 'service' : actor.via === 'api_key' ? 'apiKey' : 'user';
  return { kind, id: actor.id, role: actor.role, tenantId: actor.tenantId };
}

/**
 * One websocket: its frames in, its subscriptions, what it is sent. Frames are handled one at a
 * time, in order (a subscribe then an unsubscribe of the same channel end unsubscribed), and
 * never throw out of here: a bad frame is answered with an error frame.
 */
export class Connection {
  readonly subscriptions = new Map<string, Subscription>();
  /** Epoch ms of the last sign of life (a frame or a pong), for the idle timeout. */
  lastSeen = Date.now();
  private chain: Promise<void> = Promise.resolve();
  private windowStart = 0;
  private windowCount = 0;
  private closing = false;

  constructor(
    readonly id: string,
    readonly socket: WebSocket,
    readonly actor: Actor | null,
    readonly locale: Locale,
    private readonly host: ConnectionHost,
  ) {
    socket.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    socket.on('pong', () => (this.lastSeen = Date.now()));
    socket.on('close', () => {
      this.closing = true;
      for (const channel of this.subscriptions.keys()) host.unsubscribe(this, channel);
      this.subscriptions.clear();
      host.closed(this);
    });
    this.send(JSON.stringify({ type: 'welcome', connectionId: id, actor: describeActor(actor) } satisfies ServerFrame));
  }

  /** A live message of a channel this socket is subscribed to (the frame is shared by every socket). */
  deliver(channel: string, id: string, frame: string): void {
    const sub = this.subscriptions.get(channel);
    if (!sub) return;
    if (sub.pending) sub.pending.push({ id, frame });
    else this.send(frame);
  }

  /**
   * Sends a text frame unless the client has stopped reading: with more than
   * limits.maxBufferedBytes already waiting for it (beyond what the kernel's socket buffer took),
   * the socket is closed with 4008 instead of growing memory. So a socket holds at most that
   * limit plus one message.
   */
  send(text: string): void {
    if (this.closing || this.socket.readyState !== 1) return;
    if (this.socket.bufferedAmount > this.host.limits.maxBufferedBytes) {
      this.host.counted('slow');
      this.close(CLOSE.slowConsumer, 'slow consumer');
      return;
    }
    this.socket.send(text);
    this.host.counted('out');
  }

  /** Closes with a code; a peer that does not answer the close handshake is cut off after 5 s. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.close(code, reason);
    setTimeout(() => this.socket.terminate(), 5_000).unref();
  }

  private sendFrame(frame: ServerFrame): void {
    this.send(JSON.stringify(frame));
  }

  private error(code: ErrorCode, extra: { channel?: string; ref?: string } = {}): void {
    this.sendFrame(withDefined({ type: 'error', code, message: this.host.errorText(this.locale, code), ...extra }));
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    this.lastSeen = Date.now();
    this.host.counted('in');
    if (!this.withinRate()) return;
    if (isBinary) return this.error('invalid_frame');
    const frame = parseClientFrame(data.toString('utf8'));
    if ('error' in frame) return this.error(frame.error, { channel: frame.channel, ref: frame.ref });
    this.chain = this.chain.then(() => this.handle(frame)).catch(() => undefined);
  }

  /** A fixed one-second window: over the limit an error frame (once per window), over twice the limit the socket is closed. */
  private withinRate(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount += 1;
    const limit = this.host.limits.messagesPerSecond;
    if (this.windowCount <= limit) return true;
    if (this.windowCount > 2 * limit) this.close(CLOSE.rateLimited, 'rate limited');
    else if (this.windowCount === limit + 1) this.error('rate_limited');
    return false;
  }

  private async handle(frame: Exclude<ReturnType<typeof parseClientFrame>, { error: ErrorCode }>): Promise<void> {
    if (this.closing) return;
    if (frame.type === 'ping') return this.sendFrame({ type: 'pong' });
    const { channel, ref } = frame;
    if (frame.type === 'unsubscribe') {
      if (this.subscriptions.delete(channel)) this.host.unsubscribe(this, channel);
      return this.sendFrame(withDefined({ type: 'unsubscribed', channel, ref }));
    }
    if (this.subscriptions.has(channel)) return this.sendFrame(withDefined({ type: 'subscribed', channel, ref }));
    if (this.subscriptions.size >= this.host.limits.subscriptionsPerConnection) return this.error('too_many_subscriptions', { channel, ref });
    // Registered before the authorization answers, in the replay state: live messages from now on wait in `pending`.
    const sub: Subscription = { pending: [] };
    this.subscriptions.set(channel, sub);
    let refused: ErrorCode | null;
    try {
      refused = await this.host.subscribe(this, channel);
    } catch {
      refused = 'internal_error';
    }
    if (refused) {
      if (this.subscriptions.get(channel) === sub) this.subscriptions.delete(channel);
      this.host.unsubscribe(this, channel);
      return this.error(refused, { channel, ref });
    }
    this.sendFrame(withDefined({ type: 'subscribed', channel, ref }));
    let after: string | undefined;
    if (frame.lastId) {
      try {
        const missed = await this.host.history(channel, frame.lastId);
        // A gap we cannot fill: say so (the client reloads its state) rather than give part of it.
        if (!missed.complete) this.sendFrame({ type: 'reset', channel });
        else {
          for (const m of missed.frames) this.send(m.frame);
          after = missed.frames.at(-1)?.id ?? frame.lastId;
        }
      } catch {
        this.sendFrame({ type: 'reset', channel });
      }
    }
    // Live messages that arrived meanwhile, without those the replay already gave.
    const waiting = sub.pending ?? [];
    sub.pending = null;
    for (const m of waiting) if (!after || compareIds(m.id, after) > 0) this.send(m.frame);
  }
}
