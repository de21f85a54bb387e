import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { signUpAndIn } from '../../testing/auth.js';
import { TestSocket } from '../../testing/realtime.js';
import { waitFor } from '../../testing/wait.js';
import { auth } from '../../modules/index.js';

const board = defineModule({ name: 'board', channels: [{ pattern: 'board:{name}', authorize: () => true }] });

/** A counter's value from /metrics. */
async function metric(t: TestApp, name: string): Promise<number> {
  const text = await t.ctx.metrics.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(name));
  return Number(line?.split(' ')[1] ?? 0);
}

describe.each(targets)('realtime protection on %s', (target) => {
  let t: TestApp;
  let base: string;
  const open: TestSocket[] = [];
  const connect = async (headers: Record<string, string> = {}) => {
    const s = await TestSocket.open(base, headers);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await createTestApp({
      target,
      modules: [auth, board],
      config: {
        server: { port: 0 },
        realtime: { limits: { maxBufferedBytes: 1024, messagesPerSecond: 5, subscriptionsPerConnection: 3, connectionsPerIp: 6, connectionsPerActor: 2 } },
      },
    });
    base = await t.neptuno.listen();
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  it('limits subscriptions per connection', async () => {
    const s = await connect();
    for (const name of ['a', 'b', 'c']) expect(await s.subscribe(`board:${name}`)).toMatchObject({ type: 'subscribed' });
    expect(await s.subscribe('board:d')).toMatchObject({ type: 'error', code: 'too_many_subscriptions' });
  });

  it('rate-limits frames: an error frame past the limit, closed with 4029 past twice the limit', async () => {
    const s = await connect();
    for (let i = 0; i < 7; i++) s.send({ type: 'ping' });
    expect(await s.next('error')).toMatchObject({ code: 'rate_limited' });
    // The error frame may overtake the pongs (frames are answered in order, refusals at once).
    await waitFor(() => s.all('pong').length >= 5, 'the five pongs within the limit');
    expect(s.all('pong')).toHaveLength(5);
    expect(s.all('error')).toHaveLength(1);
    for (let i = 0; i < 10; i++) s.send({ type: 'ping' });
    expect(await s.waitClosed()).toMatchObject({ code: 4029 });
  });

  it('closes a client that stops reading with 4008 (slow consumer) and counts it', async () => {
    const before = await metric(t, 'neptuno_realtime_slow_consumers_total');
    const s = await connect();
    await s.subscribe('board:flood');
    // The client stops reading: what the server sends piles up in its buffers.
    (s.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const big = 'z'.repeat(60_000);
    await waitFor(async () => {
      for (let i = 0; i < 10; i++) await t.ctx.realtime.publish('board:flood', big);
      return (await metric(t, 'neptuno_realtime_slow_consumers_total')) > before;
    }, 'the slow consumer to be closed');
    (s.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await s.waitClosed()).code).toBe(4008);
  });

  it('limits sockets per actor and per IP, and gives the slot back when a socket closes', async () => {
    const ana = await signUpAndIn(t.app);
    const first = await connect({ authorization: `Bearer ${ana.token}` });
    await connect({ authorization: `Bearer ${ana.token}` });
    await expect(TestSocket.open(base, { authorization: `Bearer ${ana.token}` })).rejects.toMatchObject({ status: 429, body: expect.stringContaining('realtime_connection_limit') });
    first.close();
    await first.waitClosed();
    await waitFor(async () => {
      try {
        open.push(await TestSocket.open(base, { authorization: `Bearer ${ana.token}` }));
        return true;
      } catch {
        return false;
      }
    }, 'a slot for ana again');
    // Per IP (6 in this app): every test socket comes from 127.0.0.1.
    for (const s of open) s.close();
    await Promise.all(open.map((s) => s.waitClosed()));
    const sockets = await waitFor(async () => {
      try {
        return await Promise.all(Array.from({ length: 6 }, () => connect()));
      } catch {
        return null;
      }
    }, 'six anonymous sockets');
    expect(sockets).toHaveLength(6);
    await expect(TestSocket.open(base)).rejects.toMatchObject({ status: 429 });
  });

  it('reports connections and frames in /metrics', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toMatch(/^neptuno_realtime_connections \d+$/m);
    expect(await metric(t, 'neptuno_realtime_messages_in_total')).toBeGreaterThan(0);
    expect(await metric(t, 'neptuno_realtime_messages_out_total')).toBeGreaterThan(0);
    expect(res.body).toContain('neptuno_realtime_published_total');
  });
});

describe('realtime connect rate and shutdown', () => {
  it('limits new sockets per IP per minute, across replicas, with 429 and Retry-After', async () => {
    const t = await createTestApp({ target: targets.at(-1)!, modules: [board], config: { server: { port: 0 }, realtime: { limits: { connectsPerMinutePerIp: 2 } } } });
    try {
      const base = await t.neptuno.listen();
      const a = await TestSocket.open(base);
      const b = await TestSocket.open(base);
      await expect(TestSocket.open(base)).rejects.toMatchObject({ status: 429, body: expect.stringContaining('rate_limited') });
      a.close();
      b.close();
    } finally {
      await t.close();
    }
  });

  it('pings every heartbeatMs, keeps sockets that answer, and cuts one silent past idleTimeoutMs', async () => {
    const t = await createTestApp({ target: targets.at(-1)!, modules: [board], config: { server: { port: 0 }, realtime: { heartbeatMs: 100, idleTimeoutMs: 400 } } });
    try {
      const base = await t.neptuno.listen();
      const alive = await TestSocket.open(base);
      const silent = await TestSocket.open(base);
      let pings = 0;
      alive.ws.on('ping', () => (pings += 1));
      // The silent client stops reading (a dead peer): it never sees the pings, so never answers.
      (silent.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      await waitFor(() => pings >= 8, 'eight pings to the live socket');
      (silent.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect((await silent.waitClosed()).code).toBe(1006);
      expect(alive.closed).toBeNull();
      alive.close();
    } finally {
      await t.close();
    }
  });

  it('closes every socket with 1001 (going away) when the app shuts down', async () => {
    const t = await createTestApp({ target: targets.at(-1)!, modules: [board], config: { server: { port: 0 } } });
    const base = await t.neptuno.listen();
    const sockets = [await TestSocket.open(base), await TestSocket.open(base)];
    await sockets[0]!.subscribe('board:live');
    await t.close();
    for (const s of sockets) expect(await s.waitClosed()).toEqual({ code: 1001, reason: 'server shutting down' });
  });
});
