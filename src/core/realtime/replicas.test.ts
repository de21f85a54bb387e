import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { signUpAndIn } from '../../testing/auth.js';
import { TestSocket } from '../../testing/realtime.js';
import { waitFor } from '../../testing/wait.js';
import { auth } from '../../modules/index.js';

const arena = defineModule({ name: 'arena', channels: [{ pattern: 'arena:{room}', authorize: () => true }] });

// Replicas share PostgreSQL and Redis; the embedded shape is one process by definition.
const scaled = targets.filter((t) => t.redisUrl);
if (!scaled.length) describe.skip('realtime across replicas: NEPTUNO_TEST_REDIS_URL not set', () => it('not run'));

describe.each(scaled)('realtime across two replicas on %s', (target) => {
  let a: TestApp;
  let b: TestApp;
  const base: Record<'a' | 'b', string> = { a: '', b: '' };
  const open: TestSocket[] = [];
  const connect = async (on: 'a' | 'b', headers: Record<string, string> = {}) => {
    const s = await TestSocket.open(base[on], headers);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    a = await createTestApp({ target, modules: [auth, arena], config: { server: { port: 0 } } });
    b = await createTestApp({ target, modules: [auth, arena], replicaOf: a });
    base.a = await a.neptuno.listen();
    base.b = await b.neptuno.listen();
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await b?.close();
    await a?.close();
  });

  it('delivers every message published on either replica to every subscriber on both, exactly once, in id order', async () => {
    const sockets = [await connect('a'), await connect('a'), await connect('b'), await connect('b')];
    for (const s of sockets) await s.subscribe('arena:final');
    const other = await connect('b');
    await other.subscribe('arena:other');
    // Both replicas publish at once: 40 messages interleaved.
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).ctx.realtime.publish('arena:final', { i })));
    await a.ctx.realtime.publish('arena:final', 'end');
    for (const s of sockets) await s.next('message', (m) => m.data === 'end', 'the last message');
    // A wrongly duplicated delivery would have arrived by now, before the marker that followed it.
    for (const s of sockets) {
      const got = s.all('message');
      expect(got).toHaveLength(41);
      expect(new Set(got.slice(0, 40).map((m) => m.data.i)).size).toBe(40);
      const ns = got.map((m) => Number(String(m.id).split('-')[1]));
      expect(ns).toEqual([...ns].sort((x, y) => x - y));
      expect(new Set(ns).size).toBe(41);
    }
    // Every socket saw the same ids for the same messages.
    const idsOf = (s: TestSocket) => s.all('message').map((m) => `${m.id}=${JSON.stringify(m.data)}`);
    for (const s of sockets) expect(idsOf(s)).toEqual(idsOf(sockets[0]!));
    expect(other.all('message')).toEqual([]);
  });

  it('reaches a user on whichever replica their socket is, and resumes on the other replica', async () => {
    const ana = await signUpAndIn(a.app);
    const onB = await connect('b', { authorization: `Bearer ${ana.token}` });
    expect(await onB.subscribe(`user:${ana.userId}`)).toMatchObject({ type: 'subscribed' });
    await a.ctx.realtime.publish(`user:${ana.userId}`, 'from a');
    const seen = await onB.next('message');
    expect(seen.data).toBe('from a');
    onB.close();
    await onB.waitClosed();
    await b.ctx.realtime.publish(`user:${ana.userId}`, 'missed 1');
    await a.ctx.realtime.publish(`user:${ana.userId}`, 'missed 2');
    // Reconnects to the other replica (no sticky sessions) with the last id it saw.
    const onA = await connect('a', { authorization: `Bearer ${ana.token}` });
    await onA.subscribe(`user:${ana.userId}`, { lastId: seen.id });
    await waitFor(() => onA.all('message').length === 2, 'the missed messages');
    expect(onA.all('message').map((m) => m.data)).toEqual(['missed 1', 'missed 2']);
  });

  it('publishes inside a transaction on one replica only after it commits, to sockets on the other', async () => {
    const s = await connect('b');
    await s.subscribe('arena:tx');
    await expect(
      a.ctx.tx(async () => {
        await a.ctx.realtime.publish('arena:tx', 'rolled back');
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await a.ctx.tx(async () => a.ctx.realtime.publish('arena:tx', 'committed'));
    await s.next('message', (m) => m.data === 'committed');
    expect(s.all('message').map((m) => m.data)).toEqual(['committed']);
  });
});
