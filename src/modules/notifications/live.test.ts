import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { TEST_ORIGIN } from '../../testing/auth.js';
import { TestSocket } from '../../testing/realtime.js';
import { notificationsApp, person, send } from './testing.js';

/** The inbox over the websocket: a new item, then the read, arrive live on user:{id}. */
describe.each(targets)('notifications: live inbox on %s', (target) => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await notificationsApp(target, { notifications: { quietHours: { enabled: false } }, root: { server: { port: 0 } } });
    base = await t.neptuno.listen();
  });
  afterAll(() => t?.close());

  it('pushes new items and read changes to the owner only', async () => {
    const ana = await person(t, { locale: 'en' });
    const bob = await person(t);
    const socket = await TestSocket.open(base, { cookie: ana.cookie, origin: TEST_ORIGIN });
    expect((await socket.subscribe(`user:${ana.userId}`)).type).toBe('subscribed');
    // Someone else's channel is refused.
    expect((await socket.subscribe(`user:${bob.userId}`)).type).toBe('error');

    await send(t, { to: { userId: ana.userId }, type: 'promo', data: { offer: 'live' }, channels: ['inapp'] });
    const created = await socket.next('message', (f) => (f.data as { event?: string })?.event === 'created');
    expect(created.channel).toBe(`user:${ana.userId}`);
    expect(created.data).toMatchObject({ kind: 'notifications', event: 'created', unread: 1, item: { title: 'Offer: live', read: false } });

    const itemId = (created.data as { item: { id: string } }).item.id;
    await t.app.inject({ method: 'POST', url: `/v1/notifications/${itemId}/read`, headers: { cookie: ana.cookie, origin: TEST_ORIGIN } });
    const read = await socket.next('message', (f) => (f.data as { event?: string })?.event === 'read');
    expect(read.data).toMatchObject({ kind: 'notifications', event: 'read', id: itemId, unread: 0 });
    socket.close();
  });
});
