import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { defineModule } from '../../core/module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import guestsModule from './module.js';

/** Answers the resolved actor, so tests see what the guest resolver decided. */
const whoModule = defineModule({
  name: 'who',
  routes: async (app) => {
    app.get('/me', async (request) => ({ actor: await request.actor() }));
  },
});

const cookiePair = (res: { headers: Record<string, unknown> }) =>
  [res.headers['set-cookie']]
    .flat()
    .map(String)
    .find((c) => c.includes('neptuno_guest='))!
    .split(';')[0];

describe.each(targets)('guest resolver cache on %s', (target) => {
  let t: TestApp;
  let replica: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [guestsModule, whoModule] });
    // A second replica on the same database (and, at scale, the same Redis pub/sub).
    replica = await createTestApp({ target, modules: [guestsModule, whoModule], replicaOf: t });
  });
  afterAll(async () => {
    await replica?.close();
    await t?.close();
  });

  const newGuest = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest' });
    return { id: res.json().id as string, cookie: cookiePair(res) };
  };
  const actorOn = async (app: TestApp, cookie: string) => (await app.app.inject({ method: 'GET', url: '/v1/who/me', headers: { cookie } })).json().actor;

  it('answers a known cookie from memory (no read) and still counts its activity', async () => {
    const { id, cookie } = await newGuest();
    expect(await actorOn(t, cookie)).toMatchObject({ type: 'guest', id });
    // Deleting the row behind the service's back: the cached cookie keeps resolving (proof
    // that no read happens), until the entry is forgotten.
    await t.ctx.db.updateTable('guests').set({ merged_into_user_id: 'behind-the-back' }).where('id', '=', id).execute();
    expect(await actorOn(t, cookie)).toMatchObject({ type: 'guest', id });
    t.ctx.services.guests.live.forgetLocal([id]);
    expect(await actorOn(t, cookie)).toBeNull();
    await t.ctx.services.guests.activity.flush();
    expect((await t.ctx.services.guests.get(id))!.endpointsUsed).toBe(2);
  });

  it('stops a cached cookie at once when the guest is merged', async () => {
    const { id, cookie } = await newGuest();
    expect(await actorOn(t, cookie)).toMatchObject({ id });
    expect(await actorOn(t, cookie)).toMatchObject({ id });
    expect(await t.ctx.services.guests.merge(id, 'user-merged')).toBe(true);
    expect(await actorOn(t, cookie)).toBeNull();
  });

  it('stops a cached cookie at once when the idle guest is removed', async () => {
    const { id, cookie } = await newGuest();
    expect(await actorOn(t, cookie)).toMatchObject({ id });
    await t.ctx.services.guests.activity.flush(); // before ageing the row, or the flush would refresh it
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await t.ctx.db
      .updateTable('guests')
      .set({ last_active_at: target.name === 'postgres' ? sql`cast(${old} as timestamptz)` : old })
      .where('id', '=', id)
      .execute();
    expect(await t.ctx.services.guests.removeIdle()).toBeGreaterThanOrEqual(1);
    expect(await actorOn(t, cookie)).toBeNull();
  });

  it('does not cache a read that raced a merge', async () => {
    const { id, cookie } = await newGuest();
    const live = t.ctx.services.guests.live;
    const value = cookie.slice(cookie.indexOf('=') + 1);
    const stamp = live.stamp;
    live.forgetLocal([id]); // an invalidation lands while the read is in flight
    live.remember(value, id, stamp);
    expect(live.get(value)).toBeUndefined();
    live.remember(value, id, live.stamp);
    expect(live.get(value)).toBe(id);
  });

  it('never remembers forged cookies', async () => {
    const { id, cookie } = await newGuest();
    const forged = `${cookie.slice(0, cookie.indexOf('='))}=v1.${id}.${Buffer.alloc(32).toString('base64url')}`;
    expect(await actorOn(t, forged)).toBeNull();
    expect(t.ctx.services.guests.live.get(forged.slice(forged.indexOf('=') + 1))).toBeUndefined();
    expect(await actorOn(t, forged)).toBeNull();
  });

  // Across replicas the invalidation travels on pub/sub: Redis at scale. The embedded shape is one
  // process (an in-process emitter); a second process on the same SQLite file relies on the TTL.
  it(`a merge on one replica stops the cookie on the other ${target.redisUrl ? 'at once (Redis pub/sub)' : 'after the cache TTL (no shared pub/sub)'}`, async () => {
    const { id, cookie } = await newGuest();
    expect(await actorOn(replica, cookie)).toMatchObject({ id });
    expect(await t.ctx.services.guests.merge(id, 'user-elsewhere')).toBe(true);
    if (target.redisUrl) {
      // The message arrives within milliseconds; allow a generous bound on a loaded machine.
      const deadline = Date.now() + 2000;
      while ((await actorOn(replica, cookie)) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(await actorOn(replica, cookie)).toBeNull();
    } else {
      // Still remembered by the other process; once its entry expires, the read sees the merge.
      expect(await actorOn(replica, cookie)).toMatchObject({ id });
      replica.ctx.services.guests.live.forgetLocal([id]); // what the entry's expiry does, without waiting 10 s
      expect(await actorOn(replica, cookie)).toBeNull();
    }
  });

  it('reads the row on every request when resolverCacheSeconds is 0', async () => {
    const fresh = await createTestApp({ target, modules: [guestsModule, whoModule], replicaOf: t, config: { modules: { guests: { resolverCacheSeconds: 0 } } } });
    try {
      const { id, cookie } = await newGuest();
      expect(await actorOn(fresh, cookie)).toMatchObject({ id });
      await t.ctx.db.updateTable('guests').set({ merged_into_user_id: 'behind-the-back' }).where('id', '=', id).execute();
      expect(await actorOn(fresh, cookie)).toBeNull();
    } finally {
      await fresh.close();
    }
  });
});
