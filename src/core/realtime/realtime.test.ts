import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { CookieJar, createAdmin, signUpAndIn, TEST_ORIGIN } from '../../testing/auth.js';
import { TestSocket } from '../../testing/realtime.js';
import { auth, guests, apiKeys } from '../../modules/index.js';

/** A module declaring a public channel and one only its owner (by a parameter) may read. */
const rooms = defineModule({
  name: 'rooms',
  channels: [
    { pattern: 'rooms:lobby', authorize: () => true },
    { pattern: 'rooms:{room}:private', authorize: (actor, { room }) => actor?.type === 'user' && room === `room-of-${actor.id}` },
  ],
});

describe.each(targets)('realtime on %s', (target) => {
  let t: TestApp;
  let base: string;
  const open: TestSocket[] = [];
  const connect = async (headers: Record<string, string> = {}) => {
    const s = await TestSocket.open(base, headers);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [auth, guests, apiKeys, rooms], config: { server: { port: 0 } } });
    base = await t.neptuno.listen();
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  it('authenticates before the upgrade with each kind of credential, and says who in the welcome frame', async () => {
    const ana = await signUpAndIn(t.app);
    const bySession = await connect({ cookie: ana.cookie, origin: TEST_ORIGIN });
    expect(bySession.frames[0]).toMatchObject({ type: 'welcome', connectionId: expect.any(String), actor: { kind: 'user', id: ana.userId } });
    const byBearer = await connect({ authorization: `Bearer ${ana.token}` });
    expect(byBearer.frames[0]!.actor).toMatchObject({ kind: 'user', id: ana.userId });

    const created = await t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { cookie: ana.cookie, origin: TEST_ORIGIN }, payload: { name: 'socket' } });
    expect(created.statusCode).toBe(201);
    const byKey = await connect({ 'x-api-key': created.json().secret });
    expect(byKey.frames[0]!.actor).toMatchObject({ kind: 'apiKey', id: ana.userId });

    const jar = new CookieJar();
    jar.store(await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { origin: TEST_ORIGIN } }));
    const guest = await connect({ cookie: jar.header(), origin: TEST_ORIGIN });
    expect(guest.frames[0]!.actor).toMatchObject({ kind: 'guest', id: expect.any(String) });
    expect(await guest.subscribe(`guest:${guest.frames[0]!.actor.id}`)).toMatchObject({ type: 'subscribed' });

    const anonymous = await connect();
    expect(anonymous.frames[0]!.actor).toEqual({ kind: 'anonymous' });
    // A forged or unknown credential is anonymous, as on HTTP.
    const forged = await connect({ authorization: 'Bearer not-a-token' });
    expect(forged.frames[0]!.actor).toEqual({ kind: 'anonymous' });
  });

  it('refuses a cookie-authenticated upgrade from an untrusted or missing origin (cross-site websocket hijacking)', async () => {
    const ana = await signUpAndIn(t.app);
    await expect(TestSocket.open(base, { cookie: ana.cookie, origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403, body: expect.stringContaining('csrf_origin_rejected') });
    await expect(TestSocket.open(base, { cookie: ana.cookie })).rejects.toMatchObject({ status: 403 });
    // A bearer token is never sent by a browser on its own: no origin rule for it.
    await expect(connect({ authorization: `Bearer ${ana.token}`, origin: 'https://elsewhere.example' })).resolves.toBeDefined();
  });

  it('lets anonymous sockets subscribe to public channels only, and a user only to their own channels', async () => {
    const ana = await signUpAndIn(t.app);
    const bob = await signUpAndIn(t.app);
    const anonymous = await connect();
    expect(await anonymous.subscribe('rooms:lobby')).toMatchObject({ type: 'subscribed', channel: 'rooms:lobby' });
    expect(await anonymous.subscribe(`user:${ana.userId}`)).toMatchObject({ type: 'error', code: 'channel_forbidden', channel: `user:${ana.userId}` });
    expect(await anonymous.subscribe('admin')).toMatchObject({ type: 'error', code: 'channel_forbidden' });

    const socket = await connect({ cookie: ana.cookie, origin: TEST_ORIGIN, 'accept-language': 'es' });
    expect(await socket.subscribe(`user:${ana.userId}`)).toMatchObject({ type: 'subscribed' });
    const refused = await socket.subscribe(`user:${bob.userId}`);
    expect(refused).toMatchObject({ type: 'error', code: 'channel_forbidden', channel: `user:${bob.userId}` });
    expect(refused.message).toBe('No puedes suscribirte a este canal.');
    expect(await socket.subscribe(`rooms:room-of-${ana.userId}:private`)).toMatchObject({ type: 'subscribed' });
    expect(await socket.subscribe(`rooms:room-of-${bob.userId}:private`)).toMatchObject({ code: 'channel_forbidden' });
    expect(await socket.subscribe('nobody:declares:this')).toMatchObject({ type: 'error', code: 'channel_unknown' });
    expect(await socket.subscribe('admin')).toMatchObject({ code: 'channel_forbidden' });

    const admin = await createAdmin(t);
    const adminSocket = await connect({ authorization: `Bearer ${admin.token}` });
    expect(await adminSocket.subscribe('admin')).toMatchObject({ type: 'subscribed' });
  });

  it('delivers what ctx.realtime.publish sends to the channel\'s subscribers only, in order', async () => {
    const ana = await signUpAndIn(t.app);
    const mine = await connect({ authorization: `Bearer ${ana.token}` });
    const lobby = await connect();
    await mine.subscribe(`user:${ana.userId}`);
    await lobby.subscribe('rooms:lobby');
    for (let i = 1; i <= 3; i++) await t.ctx.realtime.publish(`user:${ana.userId}`, { n: i });
    await t.ctx.realtime.publish('rooms:lobby', 'hola');
    const got = [await mine.next('message'), await mine.next('message'), await mine.next('message')];
    expect(got.map((f) => f.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(got[0]).toEqual({ type: 'message', channel: `user:${ana.userId}`, id: expect.stringMatching(/^\d+-1$/), data: { n: 1 }, at: expect.stringMatching(/Z$/) });
    expect((await lobby.next('message')).data).toBe('hola');
    expect(mine.all('message', (f) => f.channel === 'rooms:lobby')).toEqual([]);
    // Unsubscribed: nothing more arrives.
    mine.send({ type: 'unsubscribe', channel: `user:${ana.userId}`, ref: 'u1' });
    expect(await mine.next('unsubscribed')).toEqual({ type: 'unsubscribed', channel: `user:${ana.userId}`, ref: 'u1' });
    await t.ctx.realtime.publish(`user:${ana.userId}`, { n: 4 });
    await t.ctx.realtime.publish('rooms:lobby', 'marker');
    await lobby.next('message', (f) => f.data === 'marker');
    mine.send({ type: 'ping' });
    await mine.next('pong');
    expect(mine.all('message').map((f) => f.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('publishes inside ctx.tx only after the commit, and never for a rollback', async () => {
    const lobby = await connect();
    await lobby.subscribe('rooms:lobby');
    await expect(
      t.ctx.tx(async () => {
        await t.ctx.realtime.publish('rooms:lobby', 'rolled back');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    let sentBeforeCommit = -1;
    await t.ctx.tx(async () => {
      await t.ctx.realtime.publish('rooms:lobby', 'committed');
      sentBeforeCommit = lobby.all('message').length;
    });
    expect((await lobby.next('message')).data).toBe('committed');
    expect(sentBeforeCommit).toBe(0);
    expect(lobby.all('message').map((f) => f.data)).toEqual(['committed']);
  });

  it('refuses to publish on a channel nobody declares, and data over the size limit', async () => {
    await expect(t.ctx.realtime.publish('typo:channel', 1)).rejects.toThrow(/No module declares/);
    await expect(t.ctx.realtime.publish('rooms:lobby', 'x'.repeat(70_000))).rejects.toThrow(RangeError);
  });

  it('answers bad frames with error frames and keeps the socket open', async () => {
    const s = await connect();
    s.send('not json');
    expect(await s.next('error')).toMatchObject({ code: 'invalid_frame' });
    s.send('[1,2]');
    expect(await s.next('error')).toMatchObject({ code: 'invalid_frame' });
    s.send({ type: 'shout', ref: 'x1' });
    expect(await s.next('error')).toMatchObject({ code: 'unknown_type', ref: 'x1' });
    s.send({ type: 'subscribe', channel: 'bad channel!' });
    expect(await s.next('error')).toMatchObject({ code: 'channel_invalid' });
    s.send({ type: 'subscribe', channel: 'board:a', lastId: 'yesterday' });
    expect(await s.next('error')).toMatchObject({ code: 'invalid_last_id', channel: 'board:a' });
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await s.next('error')).toMatchObject({ code: 'invalid_frame' });
    s.send({ type: 'subscribe', channel: 'board:a', ref: 1 });
    expect(await s.next('error')).toMatchObject({ code: 'invalid_frame' });
    s.send({ type: 'ping' });
    await s.next('pong');
    expect(s.closed).toBeNull();
  });

  it('closes with 1009 a frame over maxPayloadBytes (16 KiB by default)', async () => {
    const s = await connect();
    s.send({ type: 'subscribe', channel: 'board:x', ref: 'y'.repeat(20_000) });
    expect((await s.waitClosed()).code).toBe(1009);
  });

  it('tells sockets on the admin channel about runtime setting changes, once', async () => {
    const admin = await createAdmin(t);
    const watcher = await connect({ authorization: `Bearer ${admin.token}` });
    await watcher.subscribe('admin');
    const patch = (value: boolean | null) =>
      t.app.inject({ method: 'PATCH', url: '/v1/admin/settings', headers: { authorization: `Bearer ${admin.token}` }, payload: { 'modules.rooms.enabled': value } });
    expect((await patch(false)).statusCode).toBe(200);
    expect((await watcher.next('message')).data).toEqual({ event: 'settings.changed', settings: [{ key: 'modules.rooms.enabled', value: false }] });
    expect((await patch(null)).statusCode).toBe(200);
    expect((await watcher.next('message')).data).toEqual({ event: 'settings.changed', settings: [{ key: 'modules.rooms.enabled', value: true }] });
    expect(watcher.all('message')).toHaveLength(2);
  });

  it('answers 426 problem+json to a plain GET, and 404 to an upgrade on another path', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ws' });
    expect(res.statusCode).toBe(426);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'upgrade_required' });
    await expect(TestSocket.open(base, {}, '/v1/elsewhere')).rejects.toMatchObject({ status: 404 });
  });
});
