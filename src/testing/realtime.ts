import WebSocket from 'ws';
import { waitFor } from './wait.js';

/** A frame the server sent (docs/realtime.md). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = { type: string; [key: string]: any };

/**
 * A websocket client for tests: keeps every frame the server sends, in order, and waits for the
 * ones a test expects (bounded, never a sleep).
 *
 * @example
 *   const base = await t.neptuno.listen();
 *   const ws = await TestSocket.open(base, { cookie: ana.cookie, origin: TEST_ORIGIN });
 *   ws.send({ type: 'subscribe', channel: `user:${ana.userId}` });
 *   await ws.next('subscribed');
 */
export class TestSocket {
  readonly frames: Frame[] = [];
  /** The close code and reason, once closed. */
  closed: { code: number; reason: string } | null = null;
  private read = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Frame));
    ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
    ws.on('error', () => {});
  }

  /**
   * Opens `<base><path>` (base: what `listen()` returned) with these request headers and waits
   * for the welcome frame. Rejects with `status` and `body` when the upgrade is refused.
   */
  static open(base: string, headers: Record<string, string> = {}, path = '/ws'): Promise<TestSocket> {
    const ws = new WebSocket(base.replace(/^http/, 'ws') + path, { headers });
    const socket = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
      ws.once('open', () => socket.next('welcome').then(() => resolve(socket), reject));
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /**
   * The next frame not yet taken by `next` whose type is `type` (and that `match` accepts),
   * waiting for it. Frames skipped over stay in `frames`.
   */
  async next(type: string, match: (f: Frame) => boolean = () => true, what = `a ${type} frame`): Promise<Frame> {
    const found = await waitFor(() => {
      const i = this.frames.findIndex((f, idx) => idx >= this.read && f.type === type && match(f));
      return i === -1 ? null : { i };
    }, what, 10_000);
    this.read = found.i + 1;
    return this.frames[found.i]!;
  }

  /** Every frame of a type received so far. */
  all(type: string, match: (f: Frame) => boolean = () => true): Frame[] {
    return this.frames.filter((f) => f.type === type && match(f));
  }

  /** Subscribes and waits for the answer (subscribed or error). */
  async subscribe(channel: string, extra: { lastId?: string } = {}): Promise<Frame> {
    const ref = `r${Math.random().toString(36).slice(2)}`;
    this.send({ type: 'subscribe', channel, ref, ...extra });
    const answer = await waitFor(() => this.frames.find((f) => f.ref === ref), `the answer to subscribing to ${channel}`, 10_000);
    return answer;
  }

  async waitClosed(): Promise<{ code: number; reason: string }> {
    return waitFor(() => this.closed, 'the socket to close', 15_000);
  }

  close(): void {
    this.ws.close();
  }
}
