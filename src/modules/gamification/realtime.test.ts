import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import { TestSocket, type Frame } from '../../testing/realtime.js';
import { Client, gamificationApp } from './testing.js';
import guestsModule from '../guests/module.js';
import gamificationModule from './module.js';

/** The data of every message a socket received on a channel. */
const messagesOn = (socket: TestSocket, channel: string) => socket.all('message', (f: Frame) => f.channel === channel).map((f) => f.data as Record<string, unknown>);

const origin = (t: TestApp) => new URL(t.config.server.publicUrl).origin;

/** Awards and leaderboards reach websocket clients (the realtime kernel's channels). */
describe.each(targets)('gamification live updates on $name', (target) => {
  let t: TestApp;
  let base = '';
  const sockets: TestSocket[] = [];
  const open = async (headers: Record<string, string>) => {
    const s = await TestSocket.open(base, { origin: origin(t), ...headers });
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await gamificationApp(target);
    base = await t.neptuno.listen();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  });

  it('a player hears its own awards on its own channel, nobody else does, and a rolled-back award says nothing', async () => {
    const [ana, bea] = await Promise.all([Client.guest(t), Client.guest(t)]);
    const anaSocket = await open(ana.headers);
    const beaSocket = await open(bea.headers);
    expect(await anaSocket.subscribe(`guest:${ana.id}`)).toMatchObject({ type: 'subscribed' });
    expect(await beaSocket.subscribe(`guest:${bea.id}`)).toMatchObject({ type: 'subscribed' });
    // Bea cannot listen to Ana's channel: a refusal with a stable code, not silence.
    expect(await beaSocket.subscribe(`guest:${ana.id}`)).toMatchObject({ type: 'error', code: 'channel_forbidden' });

    // An award that rolls back is never announced.
    await expect(
      t.ctx.tx(async () => {
        await t.ctx.services.gamification.award({ type: 'guest', id: ana.id }, 'big', { id: 'rolled-back' });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');

    await ana.send('share', 'first');
    const message = await anaSocket.next('message', (f) => f.channel === `guest:${ana.id}`, 'Ana’s award');
    expect(message.data).toEqual({
      kind: 'gamification.award',
      points: { awarded: 50, total: 50 },
      reasons: ['share'],
      level: 'bronze', // the level of 0 points: reached before, not a level-up
      levelUps: [],
      badges: ['first_share'],
      challenges: [],
    });
    // Bea's first message is her own award: nothing of Ana's came before it.
    await bea.send('tap');
    await beaSocket.next('message', (f) => f.channel === `guest:${bea.id}`, 'Bea’s award');
    expect(beaSocket.all('message')).toEqual([expect.objectContaining({ channel: `guest:${bea.id}`, data: expect.objectContaining({ points: { awarded: 1, total: 1 } }) })]);
    // And Ana heard exactly one award (not the rolled-back one).
    expect(messagesOn(anaSocket, `guest:${ana.id}`)).toHaveLength(1);

    // A duplicate (same client id) changes nothing, so it announces nothing either.
    await ana.send('share', 'first');
    await ana.send('tap');
    await waitFor(() => messagesOn(anaSocket, `guest:${ana.id}`).length === 2, 'Ana’s tap');
    expect(messagesOn(anaSocket, `guest:${ana.id}`)[1]).toMatchObject({ points: { awarded: 1, total: 51 }, reasons: ['tap'] });
  });

  it('a signed-in user hears awards on user:{id}', async () => {
    const user = Client.user(t, `u-live-${target.name}`);
    const socket = await open(user.headers);
    expect(await socket.subscribe(`user:${user.id}`)).toMatchObject({ type: 'subscribed' });
    await user.send('big');
    const frame = await socket.next('message', undefined, 'the award');
    expect(frame).toMatchObject({ channel: `user:${user.id}`, data: { kind: 'gamification.award', points: { awarded: 300, total: 300 } } });
  });

  it('anyone, even without credentials, watches a leaderboard; unknown periods are refused', async () => {
    const watcher = await open({});
    expect(await watcher.subscribe('gamification:leaderboard:all')).toMatchObject({ type: 'subscribed' });
    expect(await watcher.subscribe('gamification:leaderboard:weekly')).toMatchObject({ type: 'subscribed' });
    expect(await watcher.subscribe('gamification:leaderboard:yearly')).toMatchObject({ type: 'error', code: 'channel_forbidden' });

    const star = await Client.guest(t);
    await star.post({ events: Array.from({ length: 3 }, () => ({ type: 'big' })) }); // 900 points: the top
    const board = await watcher.next(
      'message',
      (f) => f.channel === 'gamification:leaderboard:all' && (f.data as { data: Array<{ points: number }> }).data[0]?.points === 900,
      'the all-time board with the new leader',
    );
    // The same shape as GET /leaderboard for an anonymous visitor: names, never ids.
    const http = await t.app.inject({ method: 'GET', url: '/v1/gamification/leaderboard?period=all' });
    expect(board.data).toEqual(http.json());
    expect(JSON.stringify(board.data)).not.toContain(star.id);
    await watcher.next('message', (f) => f.channel === 'gamification:leaderboard:weekly', 'the weekly board');
  });
});

// Two replicas share PostgreSQL and Redis: an award on one reaches a socket on the other.
describe.skipIf(!targets.some((x) => x.redisUrl)).each(targets.filter((x) => x.redisUrl))('gamification live updates across replicas on $name', (target) => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await gamificationApp(target);
    b = await createTestApp({ target, replicaOf: a, modules: [guestsModule, gamificationModule] });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('an award made on replica A reaches the player’s socket on replica B, once', async () => {
    const player = await Client.guest(a);
    const socket = await TestSocket.open(await b.neptuno.listen(), { origin: origin(b), ...player.headers });
    try {
      expect(await socket.subscribe(`guest:${player.id}`)).toMatchObject({ type: 'subscribed' });
      await player.send('share', 'cross');
      await socket.next('message', undefined, 'the award from the other replica');
      await player.send('tap'); // a second award: the first must not have come twice meanwhile
      await waitFor(() => messagesOn(socket, `guest:${player.id}`).length >= 2, 'the second award');
      expect(messagesOn(socket, `guest:${player.id}`).map((m) => (m.points as { total: number }).total)).toEqual([50, 51]);
    } finally {
      socket.close();
    }
  });
});
