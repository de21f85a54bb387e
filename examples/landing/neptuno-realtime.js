// A tiny, dependency-free browser client for Neptuno's realtime endpoint (GET /ws). No build
// step: `import { connectRealtime } from './neptuno-realtime.js'`.
//
//   const live = connectRealtime({ baseUrl: 'https://api.example.com' });
//   const off = live.subscribe('gamification:leaderboard:all', {
//     onMessage(data, message) { … },      // every message, in order, once
//     onReset() { … },                      // missed too much to replay: refetch over HTTP
//     onError(error) { … },                 // e.g. { code: 'forbidden' }: the subscription is dropped
//   });
//   live.reconnect();   // after sign-in / sign-out: the socket authenticates again with the new cookie
//   live.close();
//
// The browser sends the API's cookies with the upgrade (same site), so the socket is whoever the
// page is: guest or signed-in user. The API must trust the page's origin (server.cors.origins),
// or the upgrade is refused.
//
// Reliability: a dropped socket reconnects with exponential backoff and full jitter (so a
// restarted server is not hit by every visitor at the same instant), then subscribes again with
// the id of the last message seen on each channel; the server replays what was missed, or sends
// `reset` when the gap is older than its replay buffer. A heartbeat (`ping` every 25 s, a
// reconnect if nothing came back in 10 s) notices a connection that died silently (sleeping
// laptop, changed network), which a browser's WebSocket never reports on its own.

const PING_EVERY_MS = 25_000;
const PONG_WITHIN_MS = 10_000;

/**
 * @param {{ baseUrl: string, minDelayMs?: number, maxDelayMs?: number, onStatus?: (status: 'connecting' | 'open' | 'closed', info?: { code?: number, attempt?: number, delayMs?: number }) => void, WebSocketImpl?: typeof WebSocket }} options
 */
export function connectRealtime({ baseUrl, minDelayMs = 500, maxDelayMs = 30_000, onStatus = () => {}, WebSocketImpl = globalThis.WebSocket }) {
  const url = baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws') + '/ws';
  /** channel → { handlers: Set, lastId: string | null, confirmed: boolean } */
  const channels = new Map();
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let pongTimer = null;
  let closedByUs = false;

  const send = (frame) => {
    if (socket?.readyState === 1) socket.send(JSON.stringify(frame));
  };

  const subscribeFrame = (channel, entry) => (entry.lastId ? { type: 'subscribe', channel, lastId: entry.lastId } : { type: 'subscribe', channel });

  function each(channel, method, ...args) {
    for (const h of channels.get(channel)?.handlers ?? []) {
      try {
        h[method]?.(...args);
      } catch (err) {
        console.error(err); // one handler's bug must not stop the others (or the socket)
      }
    }
  }

  function onFrame(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    clearTimeout(pongTimer); // anything from the server proves the connection is alive
    pongTimer = null;
    if (frame.type === 'welcome') {
      attempt = 0; // a good connection: the next drop starts again from the shortest delay
    } else if (frame.type === 'message') {
      const entry = channels.get(frame.channel);
      if (!entry) return;
      entry.lastId = frame.id;
      each(frame.channel, 'onMessage', frame.data, frame);
    } else if (frame.type === 'subscribed') {
      const entry = channels.get(frame.channel);
      if (entry) entry.confirmed = true;
    } else if (frame.type === 'reset') {
      const entry = channels.get(frame.channel);
      if (entry) entry.lastId = null; // what follows starts a new history
      each(frame.channel, 'onReset');
    } else if (frame.type === 'error') {
      if (frame.channel && channels.has(frame.channel)) {
        each(frame.channel, 'onError', frame);
        // A refused subscription does not come back by retrying; the page decides what next.
        if (!channels.get(frame.channel).confirmed) channels.delete(frame.channel);
      }
    }
  }

  function heartbeat() {
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      send({ type: 'ping' });
      if (!pongTimer) pongTimer = setTimeout(() => socket?.close(4000, 'heartbeat timeout'), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  function open() {
    clearTimeout(retryTimer);
    retryTimer = null;
    closedByUs = false;
    onStatus('connecting', { attempt });
    const ws = new WebSocketImpl(url);
    socket = ws;
    ws.addEventListener('open', () => {
      if (socket !== ws) return;
      onStatus('open');
      for (const [channel, entry] of channels) {
        entry.confirmed = false;
        send(subscribeFrame(channel, entry));
      }
      heartbeat();
    });
    ws.addEventListener('message', (event) => socket === ws && onFrame(event));
    ws.addEventListener('close', (event) => {
      if (socket !== ws) return;
      socket = null;
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      pongTimer = null;
      // Every other close is retried: 1001 (a server going away: another replica answers), 4008
      // (too slow: resume from the last id), 4029 (too many frames), and a refused upgrade (seen
      // as 1006), which the backoff keeps to one attempt per maxDelayMs.
      if (closedByUs) {
        onStatus('closed', { code: event.code });
        return;
      }
      // Full jitter: anywhere between 0 and the exponential ceiling, so the visitors of a replica
      // that went away (1001) come back spread over the first half second, not all at once.
      const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** attempt);
      const delayMs = Math.round(Math.random() * ceiling);
      attempt++;
      onStatus('closed', { code: event.code, attempt, delayMs });
      retryTimer = setTimeout(open, delayMs);
    });
  }

  // Back online or back in view: try now rather than at the end of a long backoff.
  const soon = () => {
    if (!socket && !closedByUs && retryTimer) open();
  };
  globalThis.addEventListener?.('online', soon);
  globalThis.document?.addEventListener?.('visibilitychange', () => globalThis.document.visibilityState === 'visible' && soon());

  open();

  return {
    /** Listens to a channel; returns a function that stops listening. */
    subscribe(channel, handlers) {
      let entry = channels.get(channel);
      if (!entry) {
        entry = { handlers: new Set(), lastId: null, confirmed: false };
        channels.set(channel, entry);
        send(subscribeFrame(channel, entry));
      }
      entry.handlers.add(handlers);
      return () => {
        const current = channels.get(channel);
        if (!current) return;
        current.handlers.delete(handlers);
        if (!current.handlers.size) {
          channels.delete(channel);
          send({ type: 'unsubscribe', channel });
        }
      };
    },
    /** Opens a new socket now (e.g. after sign-in, so it authenticates as the new actor). Subscriptions carry over. */
    reconnect() {
      const old = socket;
      socket = null;
      old?.close(1000, 'reconnect');
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      pongTimer = null;
      attempt = 0;
      open();
    },
    close() {
      closedByUs = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      socket?.close(1000, 'bye');
      socket = null;
    },
    /** Channels currently wanted, with the last message id seen on each (for debugging). */
    get channels() {
      return Object.fromEntries([...channels].map(([c, e]) => [c, e.lastId]));
    },
  };
}
