/**
 * The load generator of bench/realtime.ts, in its own process (forked with an IPC channel) so it
 * never shares the server's event loop. It opens the connections it is told to, each with its
 * own credentials, subscribes each to a shared channel and to its own personal channel, and
 * records every message: per connection and sequence number (so a loss or a duplicate is
 * counted, never averaged away) and its latency (receipt time minus the publish time the
 * server stamped in the message).
 *
 * Orders (from the parent): connect, expect, collect, close. Each is answered once.
 */
import WebSocket from 'ws';
import { epochMs } from './control.js';

export interface ConnSpec {
  /** The websocket URL (one replica or another). */
  url: string;
  /** Credentials and Origin, as a browser or an API client would send them on the upgrade. */
  headers: Record<string, string>;
  /** Channel name of this client's own channel (`guest:<id>`); every client also joins `shared`. */
  personal: string;
}

export type Order =
  | { op: 'connect'; shared: string; conns: ConnSpec[]; concurrency: number }
  | { op: 'expect'; phase: 'shared'; count: number }
  | { op: 'expect'; phase: 'personal' }
  | { op: 'collect'; idleMs: number }
  | { op: 'close' };

export interface ConnectReport {
  op: 'connected';
  ok: number;
  failed: number;
  errors: string[];
  ms: number;
}

export interface PhaseReport {
  op: 'collected';
  expected: number;
  received: number;
  missing: number;
  duplicates: number;
  /** Messages on a channel the connection did not ask for, or for somebody else. */
  foreign: number;
  /** Connections closed by the server during the phase, by close code. */
  closed: Record<string, number>;
  firstAt: number;
  lastAt: number;
  p50: number;
  p99: number;
  max: number;
}

interface Frame {
  type: string;
  channel?: string;
  code?: string;
  message?: string;
  data?: { seq?: number; t?: number; to?: string };
}

const send = (m: ConnectReport | PhaseReport | { op: 'ready' | 'closed' }) => process.send!(m);

let sockets: WebSocket[] = [];
let specs: ConnSpec[] = [];
let shared = '';

// The phase being recorded.
let phase: 'shared' | 'personal' | null = null;
let count = 0; // shared messages per connection this phase
let seen = new Uint8Array(0); // shared: [conn * count + seq]; personal: [conn]
let latencies = new Float64Array(0);
let nLat = 0;
let received = 0;
let foreign = 0;
let firstAt = 0;
let lastAt = 0;
let closed: Record<string, number> = {};
let onProgress: (() => void) | null = null;

function record(i: number, frame: Frame, now: number) {
  const data = frame.data ?? {};
  let slot = -1;
  if (phase === 'shared' && frame.channel === shared && typeof data.seq === 'number' && data.seq < count) slot = i * count + data.seq;
  else if (phase === 'personal' && frame.channel === specs[i].personal && data.to === specs[i].personal) slot = i;
  if (slot < 0) {
    foreign++;
    return;
  }
  seen[slot]++;
  received++;
  if (typeof data.t === 'number' && nLat < latencies.length) latencies[nLat++] = now - data.t;
  if (!firstAt) firstAt = now;
  lastAt = now;
  onProgress?.();
}

/** Opens one connection and subscribes it to both channels; resolves once both are confirmed. */
function open(i: number): Promise<void> {
  const spec = specs[i];
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(spec.url, { headers: spec.headers, perMessageDeflate: false });
    sockets[i] = ws;
    let pending = 2;
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      ws.terminate();
      reject(new Error(why));
    };
    ws.on('unexpected-response', (_req, res) => fail(`upgrade refused: ${res.statusCode}`));
    ws.on('error', (err) => fail(err.message));
    ws.on('close', (code) => {
      if (!settled) fail(`closed ${code} before subscribing`);
      else if (phase) closed[code] = (closed[code] ?? 0) + 1;
    });
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', channel: shared, ref: 's' }));
      ws.send(JSON.stringify({ type: 'subscribe', channel: spec.personal, ref: 'p' }));
    });
    ws.on('message', (raw) => {
      const now = epochMs();
      const frame = JSON.parse(String(raw)) as Frame;
      if (frame.type === 'message') record(i, frame, now);
      else if (frame.type === 'subscribed' && !settled && --pending === 0) {
        settled = true;
        resolve();
      } else if (frame.type === 'error') fail(`error frame ${frame.code}: ${frame.message}`);
    });
  });
}

async function connect(order: Extract<Order, { op: 'connect' }>): Promise<ConnectReport> {
  specs = order.conns;
  shared = order.shared;
  sockets = new Array(specs.length);
  const errors = new Map<string, number>();
  let ok = 0;
  let next = 0;
  const started = epochMs();
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      try {
        await open(i);
        ok++;
      } catch (err) {
        const key = (err as Error).message;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: order.concurrency }, worker));
  return { op: 'connected', ok, failed: specs.length - ok, errors: [...errors].map(([m, n]) => `${n} x ${m}`), ms: epochMs() - started };
}

function expect(order: Extract<Order, { op: 'expect' }>) {
  phase = order.phase;
  count = order.phase === 'shared' ? order.count : 1;
  seen = new Uint8Array(specs.length * count);
  latencies = new Float64Array(specs.length * count);
  nLat = received = foreign = firstAt = lastAt = 0;
  closed = {};
}

/** Waits until every expected message arrived, or none arrived for `idleMs`; then reports. */
async function collect(idleMs: number): Promise<PhaseReport> {
  const expected = seen.length;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, idleMs);
    onProgress = () => {
      if (received >= expected) return resolve();
      timer.refresh();
    };
    if (received >= expected) resolve();
  });
  onProgress = null;
  // A moment more for duplicates that would arrive after the last expected message.
  await new Promise((r) => setTimeout(r, 200));
  let missing = 0;
  let duplicates = 0;
  for (const n of seen) {
    if (n === 0) missing++;
    else if (n > 1) duplicates += n - 1;
  }
  const lat = latencies.subarray(0, nLat).sort();
  const at = (q: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * q))] : NaN);
  const report: PhaseReport = { op: 'collected', expected, received, missing, duplicates, foreign, closed, firstAt, lastAt, p50: at(0.5), p99: at(0.99), max: lat.length ? lat[lat.length - 1] : NaN };
  phase = null;
  return report;
}

process.on('message', async (order: Order) => {
  if (order.op === 'connect') send(await connect(order));
  else if (order.op === 'expect') {
    expect(order);
    send({ op: 'ready' });
  } else if (order.op === 'collect') send(await collect(order.idleMs));
  else if (order.op === 'close') {
    // Dropped at once: how the server notices is not measured, and 10k closing handshakes would only add waiting.
    for (const ws of sockets) ws?.terminate();
    process.send!({ op: 'closed' }, () => process.exit(0));
  }
});
