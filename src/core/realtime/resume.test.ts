import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { freezeClock, type TestClock } from '../../testing/clock.js';
import { TestSocket } from '../../testing/realtime.js';

const scores = defineModule({ name: 'scores', channels: [{ pattern: 'scores:{board}', authorize: () => true }] });

describe.each(targets)('realtime resume on %s', (target) => {
  let t: TestApp;
  let base: string;
  let clock: TestClock | undefined;
  const open: TestSocket[] = [];
  const connect = async () => {
    const s = await TestSocket.open(base);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    // A 3-message, 60 s replay buffer; no heartbeat during the test (the frozen clock would make every socket look idle).
    t = await createTestApp({ target, modules: [scores], config: { server: { port: 0 }, realtime: { replay: { count: 3, maxAgeMs: 60_000 }, heartbeatMs: 3_600_000 } } });
    base = await t.neptuno.listen();
  });
  afterEach(() => clock?.restore());
  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  it('gives a reconnecting client what it missed, in order, then the live messages, each once', async () => {
    const first = await connect();
    await first.subscribe('scores:a');
    await t.ctx.realtime.publish('scores:a', 1);
    const seen = await first.next('message');
    first.close();
    await first.waitClosed();

    await t.ctx.realtime.publish('scores:a', 2);
    await t.ctx.realtime.publish('scores:a', 3);
    const again = await connect();
    expect(await again.subscribe('scores:a', { lastId: seen.id })).toMatchObject({ type: 'subscribed' });
    const missed = [await again.next('message'), await again.next('message')];
    expect(missed.map((m) => m.data)).toEqual([2, 3]);
    await t.ctx.realtime.publish('scores:a', 4);
    expect((await again.next('message')).data).toBe(4);
    expect(again.all('message').map((m) => m.data)).toEqual([2, 3, 4]);
    expect(again.all('reset')).toEqual([]);
    // Ids grow by one per message of the channel.
    const ns = [seen, ...again.all('message')].map((m) => Number(String(m.id).split('-')[1]));
    expect(ns).toEqual([ns[0], ns[0]! + 1, ns[0]! + 2, ns[0]! + 3]);
  });

  it('with an up-to-date lastId gives nothing again', async () => {
    const s = await connect();
    await s.subscribe('scores:b');
    await t.ctx.realtime.publish('scores:b', 'only');
    const last = await s.next('message');
    s.close();
    const again = await connect();
    await again.subscribe('scores:b', { lastId: last.id });
    await t.ctx.realtime.publish('scores:b', 'next');
    expect((await again.next('message')).data).toBe('next');
    expect(again.all('message')).toHaveLength(1);
    expect(again.all('reset')).toEqual([]);
  });

  it('sends reset when more messages were missed than the buffer keeps', async () => {
    const s = await connect();
    await s.subscribe('scores:c');
    await t.ctx.realtime.publish('scores:c', 0);
    const last = await s.next('message');
    s.close();
    for (let i = 1; i <= 5; i++) await t.ctx.realtime.publish('scores:c', i);
    const again = await connect();
    await again.subscribe('scores:c', { lastId: last.id });
    expect(await again.next('reset')).toEqual({ type: 'reset', channel: 'scores:c' });
    await t.ctx.realtime.publish('scores:c', 'live');
    expect((await again.next('message')).data).toBe('live');
    expect(again.all('message').map((m) => m.data)).toEqual(['live']);
  });

  it('sends reset when the missed messages are older than maxAgeMs', async () => {
    clock = freezeClock();
    const s = await connect();
    await s.subscribe('scores:d');
    await t.ctx.realtime.publish('scores:d', 'seen');
    const last = await s.next('message');
    s.close();
    await t.ctx.realtime.publish('scores:d', 'missed long ago');
    clock.advance(61_000);
    const again = await connect();
    await again.subscribe('scores:d', { lastId: last.id });
    expect(await again.next('reset')).toEqual({ type: 'reset', channel: 'scores:d' });
    expect(again.all('message')).toEqual([]);
  });
});
