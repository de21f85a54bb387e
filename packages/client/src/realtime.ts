/** The part of the WebSocket API the client uses: browsers' and Node 22's global, or the `ws` package. */
export interface WebSocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A message published on a channel (docs/realtime.md). */
export interface RealtimeMessage<T = unknown> {
  channel: string;
  id: string;
  data: T;
  at: string;
}

export interface Subscription {
  unsubscribe(): void;
}

export interface RealtimeOptions {
  /** ws(s)://host/ws; default: the API base URL with ws(s) and /ws. */
  url: string;
  /** Default: globalThis.WebSocket (browsers, Node 22+); pass `ws`'s class on Node 20. */
  WebSocket?: WebSocketConstructor;
  /** First reconnect delay in ms, doubled up to maxBackoffMs with jitter (default 500 / 15 000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Called with each channel whose missed messages could not be replayed: reload its state over HTTP. */
  onReset?: (channel: string) => void;
  /** Called with refused subscriptions and malformed frames (`channel_forbidden`, …). */
  onError?: (error: { code: string; message: string; channel?: string }) => void;
}

interface Channel {
  handlers: Set<(m: RealtimeMessage) => void>;
  lastId?: string;
}

/**
 * One websocket for every channel of a page, that comes back by itself: after a drop it
 * reconnects with backoff and jitter (so ten thousand phones do not return in the same second)
 * and subscribes again with the id of the last message seen per channel, so what was published
 * meanwhile arrives first, in order (or `onReset` says to reload, past the replay buffer).
 * Cookies travel with the handshake in browsers; the socket is the signed-in user, guest or anonymous.
 * @example
 *   const off = neptuno.realtime.subscribe('gamification:leaderboard:weekly', (m) => render(m.data));
 */
export class RealtimeClient {
  private socket: WebSocketLike | null = null;
  private readonly channels = new Map<string, Channel>();
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(private readonly opts: RealtimeOptions) {}

  subscribe<T = unknown>(channel: string, handler: (message: RealtimeMessage<T>) => void): Subscription {
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { handlers: new Set() };
      this.channels.set(channel, entry);
      this.sendSubscribe(channel, entry);
    }
    entry.handlers.add(handler as (m: RealtimeMessage) => void);
    this.connect();
    return {
      unsubscribe: () => {
        entry.handlers.delete(handler as (m: RealtimeMessage) => void);
        if (entry.handlers.size) return;
        this.channels.delete(channel);
        this.send({ type: 'unsubscribe', channel });
      },
    };
  }

  /** Closes the socket for good (no reconnect). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = null;
  }

  private connect(): void {
    if (this.socket || this.closed || this.timer) return;
    const Ctor = this.opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new Error('No WebSocket implementation: pass { WebSocket } (the `ws` package on Node 20)');
    const socket = new Ctor(this.opts.url);
    this.socket = socket;
    socket.onmessage = (ev) => this.onFrame(String(ev.data));
    socket.onclose = () => {
      this.socket = null;
      if (!this.closed && this.channels.size) this.scheduleReconnect();
    };
    socket.onerror = () => undefined; // onclose follows and reconnects
  }

  private scheduleReconnect(): void {
    const base = Math.min((this.opts.backoffMs ?? 500) * 2 ** this.attempt++, this.opts.maxBackoffMs ?? 15_000);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, base / 2 + Math.random() * base);
  }

  private onFrame(text: string): void {
    let frame: { type?: string; channel?: string; id?: string; data?: unknown; at?: string; code?: string; message?: string };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return;
    }
    if (frame.type === 'welcome') {
      this.attempt = 0;
      for (const [channel, entry] of this.channels) this.sendSubscribe(channel, entry);
      return;
    }
    const entry = frame.channel ? this.channels.get(frame.channel) : undefined;
    if (frame.type === 'message' && entry && frame.id) {
      entry.lastId = frame.id;
      const message = { channel: frame.channel!, id: frame.id, data: frame.data, at: frame.at ?? '' };
      for (const handler of entry.handlers) handler(message);
    } else if (frame.type === 'reset' && frame.channel) {
      this.opts.onReset?.(frame.channel);
    } else if (frame.type === 'error') {
      this.opts.onError?.({ code: frame.code ?? 'error', message: frame.message ?? '', channel: frame.channel });
    }
  }

  private sendSubscribe(channel: string, entry: Channel): void {
    this.send(entry.lastId ? { type: 'subscribe', channel, lastId: entry.lastId } : { type: 'subscribe', channel });
  }

  private send(frame: object): void {
    // Before the welcome frame the subscription is sent on (re)connection instead.
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(frame));
  }
}
