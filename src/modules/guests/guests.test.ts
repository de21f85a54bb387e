import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { defineModule } from '../../core/module.js';
import { isUniqueViolation } from '../../core/db/database.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { recordEvents } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import guestsModule from './module.js';

const ADMIN_TOKEN = 'admin-token-for-guest-tests-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * A module like a game would write: guests earn points before signing up, and the
 * guest.merged handler moves them to the user exactly once (a ledger of merges keyed on guestId).
 */
const handlerCalls: Array<{ guestId: string; userId: string }> = [];
const scoresModule = defineModule({
  name: 'scores',
  migrations: {
    '0001_scores': {
      async up(db) {
        await db.schema
          .createTable('test_scores')
          .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('owner_kind', 'varchar(10)', (c) => c.notNull())
          .addColumn('owner_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('points', 'integer', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('test_score_merges')
          .addColumn('guest_id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
          .execute();
      },
    },
  },
  routes: async (app, ctx) => {
    app.get('/me', async (request) => ({ actor: await request.actor() }));
    app.post('/play', { schema: { body: Type.Object({ points: Type.Integer() }) } }, async (request, reply) => {
      const guest = await ctx.services.guests.http.ensureGuest(request, reply);
      const again = await ctx.services.guests.http.ensureGuest(request, reply);
      const { points } = request.body as { points: number };
      await ctx.db.insertInto('test_scores').values({ id: randomUUID(), owner_kind: 'guest', owner_id: guest.id, points }).execute();
      return { guestId: guest.id, sameGuest: again.id === guest.id, actor: await request.actor() };
    });
  },
  on: {
    'guest.merged': async ({ guestId, userId }, ctx) => {
      handlerCalls.push({ guestId, userId });
      await ctx.tx(async (trx) => {
        try {
          await trx.insertInto('test_score_merges').values({ guest_id: guestId, user_id: userId }).execute();
        } catch (err) {
          if (isUniqueViolation(err)) return; // already moved: idempotent on guestId
          throw err;
        }
        await trx
          .updateTable('test_scores')
          .set({ owner_kind: 'user', owner_id: userId })
          .where('owner_kind', '=', 'guest')
          .where('owner_id', '=', guestId)
          .execute();
      });
    },
  },
});

const cookieOf = (res: { headers: Record<string, unknown> }) => {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : raw ? [String(raw)] : [];
  return list.map(String).find((c) => c.includes('neptuno_guest='));
};
const cookiePair = (setCookie: string) => setCookie.split(';')[0];

describe.each(targets)('guests on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      target,
      modules: [guestsModule, scoresModule],
      config: { admin: { token: ADMIN_TOKEN }, server: { trustProxy: true }, modules: { guests: {} } },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const ownOrigin = () => new URL(t.config.server.publicUrl).origin;
  const newGuest = async (body?: object, headers: Record<string, string> = {}) => {
    // A browser on the API's own origin: Origin is sent (cookie-authenticated POSTs need a trusted one).
    const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest', payload: body, headers: { origin: ownOrigin(), ...headers } });
    return { res, body: res.json(), cookie: cookieOf(res) };
  };

  it('creates a guest with a signed HttpOnly cookie and returns the same one after', async () => {
    const first = await newGuest();
    expect(first.res.statusCode).toBe(201);
    expect(first.body).toMatchObject({ created: true });
    expect(first.body.displayName).toMatch(/^Invitado \d{4}$/);
    // env test is "outside development": __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/.
    expect(first.cookie).toMatch(/^__Host-neptuno_guest=v1\./);
    expect(first.cookie).toMatch(/; HttpOnly/);
    expect(first.cookie).toMatch(/; Secure/);
    expect(first.cookie).toMatch(/; SameSite=Lax/);
    expect(first.cookie).toMatch(/; Path=\//);

    const again = await newGuest(undefined, { cookie: cookiePair(first.cookie!) });
    expect(again.res.statusCode).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, created: false });
    expect(again.cookie).toBeUndefined();
    expect(t.ctx.services.guests.cookieName).toBe('__Host-neptuno_guest');
  });

  it('names a new guest in the language the browser asked for', async () => {
    const en = await newGuest(undefined, { 'accept-language': 'en-US,en;q=0.9' });
    expect(en.body.displayName).toMatch(/^Guest \d{4}$/);
    const es = await newGuest(undefined, { 'accept-language': 'es-AR' });
    expect(es.body.displayName).toMatch(/^Invitado \d{4}$/);
    // One string for every language, as before.
    const fixed = await createTestApp({ target, modules: [guestsModule, scoresModule], replicaOf: t, config: { modules: { guests: { namePrefix: 'Jugador' } } } });
    try {
      const res = await fixed.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { 'accept-language': 'en' } });
      expect(res.json().displayName).toMatch(/^Jugador \d{4}$/);
    } finally {
      await fixed.close();
    }
  });

  it('accepts a valid display name and rejects control characters and overlong names', async () => {
    const ok = await newGuest({ displayName: '  Ana  la  Pirata ' });
    expect(ok.res.statusCode).toBe(201);
    expect(ok.body.displayName).toBe('Ana la Pirata');

    for (const displayName of ['bad\u0000name', 'line\nbreak', 'rtl\u202Eoverride', '', '   ', 'x'.repeat(41)]) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest', payload: { displayName } });
      expect(res.statusCode, JSON.stringify(displayName)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json().errors?.[0]?.pointer ?? '/body/displayName').toBe('/body/displayName');
    }
    const unknown = await t.app.inject({ method: 'POST', url: '/v1/public/guest', payload: { role: 'admin' } });
    expect(unknown.statusCode).toBe(400);

    // Renaming the current guest keeps its id.
    const renamed = await newGuest({ displayName: 'Capitana' }, { cookie: cookiePair(ok.cookie!) });
    expect(renamed.body).toMatchObject({ id: ok.body.id, displayName: 'Capitana', created: false });
  });

  it('ignores forged or tampered cookies', async () => {
    const { cookie, body } = await newGuest();
    const [name, value] = cookiePair(cookie!).split('=');
    const tampered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    const forgedId = `${name}=v1.${body.id}.${Buffer.alloc(32).toString('base64url')}`;
    for (const c of [tampered, forgedId, `${name}=garbage`, `${name}=`]) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/scores/me', headers: { cookie: c } });
      expect(res.json().actor, c).toBeNull();
    }
    expect(t.ctx.services.guests.guestIdFromCookieHeader(`a=b; ${cookiePair(cookie!)}`)).toBe(body.id);
    expect(t.ctx.services.guests.guestIdFromCookieHeader(tampered)).toBeNull();
  });

  it('resolves the guest actor and records activity with the client IP behind the trusted proxy', async () => {
    const { cookie, body } = await newGuest();
    const headers = { cookie: cookiePair(cookie!), 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/scores/me', headers });
      expect(res.json().actor).toEqual({ type: 'guest', id: body.id, role: null, tenantId: null, via: 'guest' });
    }
    await t.ctx.services.guests.activity.flush();
    const guest = await t.ctx.services.guests.get(body.id);
    expect(guest).toMatchObject({ endpointsUsed: 3, lastIp: '203.0.113.7' });
    expect(Date.parse(guest!.lastActiveAt)).toBeGreaterThanOrEqual(Date.parse(guest!.createdAt));
  });

  it('ensureGuest creates one guest per request, sets the cookie and makes it the actor', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/scores/play', payload: { points: 5 } });
    expect(res.statusCode).toBe(200);
    const out = res.json();
    expect(out.sameGuest).toBe(true);
    expect(out.actor).toMatchObject({ type: 'guest', id: out.guestId });
    const cookies = [res.headers['set-cookie']].flat().filter((c) => String(c).includes('neptuno_guest='));
    expect(cookies).toHaveLength(1);
    // The next request with that cookie reuses the guest.
    const next = await t.app.inject({ method: 'POST', url: '/v1/scores/play', payload: { points: 1 }, headers: { cookie: cookiePair(String(cookies[0])), origin: ownOrigin() } });
    expect(next.json().guestId).toBe(out.guestId);
    expect(cookieOf(next)).toBeUndefined();
  });

  it('merges exactly once under 20 concurrent calls; each module moves the data once; the cookie stops resolving', async () => {
    const play = await t.app.inject({ method: 'POST', url: '/v1/scores/play', payload: { points: 7 } });
    const guestId = play.json().guestId as string;
    const cookie = cookiePair(cookieOf(play)!);
    await t.app.inject({ method: 'POST', url: '/v1/scores/play', payload: { points: 3 }, headers: { cookie, origin: ownOrigin() } });

    const recorder = recordEvents(t);
    const before = handlerCalls.length;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => t.ctx.services.guests.merge(guestId, `user-${i % 3}`)));
    await recorder.settled();
    recorder.stop();
    const events = recorder.payloads('guest.merged').filter((e) => e.guestId === guestId).map((e) => e.userId);

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(events).toHaveLength(1);
    expect(handlerCalls.length - before).toBe(1);
    const winner = events[0];
    const guest = await t.ctx.services.guests.get(guestId);
    expect(guest).toMatchObject({ mergedIntoUserId: winner });
    expect(guest!.mergedAt).not.toBeNull();

    const scores = await t.ctx.db.selectFrom('test_scores').selectAll().where('owner_id', 'in', [guestId, winner]).execute();
    expect(scores.map((s) => [s.owner_kind, s.owner_id])).toEqual([
      ['user', winner],
      ['user', winner],
    ]);
    expect(scores.reduce((n, s) => n + Number(s.points), 0)).toBe(10);

    // A redelivered event does not move anything twice.
    await t.ctx.events.emit('guest.merged', { guestId, userId: winner });
    const merges = await t.ctx.db.selectFrom('test_score_merges').selectAll().where('guest_id', '=', guestId).execute();
    expect(merges).toHaveLength(1);

    const me = await t.app.inject({ method: 'GET', url: '/v1/scores/me', headers: { cookie } });
    expect(me.json().actor).toBeNull();
    expect(await t.ctx.services.guests.merge(guestId, 'someone-else')).toBe(false);
    expect(await t.ctx.services.guests.merge('no-such-guest', 'u')).toBe(false);
    // A merged guest's cookie gets a fresh guest on POST /v1/public/guest.
    const fresh = await newGuest(undefined, { cookie });
    expect(fresh.res.statusCode).toBe(201);
    expect(fresh.body.id).not.toBe(guestId);
  });

  it('lists guests for admins, keyset-paginated and filtered by last activity', async () => {
    const unauth = await t.app.inject({ method: 'GET', url: '/v1/admin/guests' });
    expect(unauth.statusCode).toBe(401);

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await newGuest({ displayName: `Paged ${i}` })).body.id);
    // Spread their activity over five known days.
    for (let i = 0; i < 5; i++) {
      const at = new Date(Date.UTC(2020, 0, 1 + i)).toISOString();
      const value = target.name === 'postgres' ? sql`cast(${at} as timestamptz)` : at;
      await t.ctx.db.updateTable('guests').set({ last_active_at: value }).where('id', '=', ids[i]).execute();
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ limit: '2', activeBefore: '2020-02-01', activeAfter: '2020-01-01T00:00:00Z' });
      if (cursor) q.set('cursor', cursor);
      const res = await t.app.inject({ method: 'GET', url: `/v1/admin/guests?${q}`, headers: admin });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((g: { id: string }) => g.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const narrow = await t.app.inject({ method: 'GET', url: '/v1/admin/guests?activeAfter=2020-01-04&activeBefore=2020-01-05', headers: admin });
    expect(narrow.json().data.map((g: { id: string }) => g.id)).toEqual([ids[3]]);
    expect(narrow.json().data[0]).toMatchObject({ displayName: 'Paged 3', endpointsUsed: 0, mergedIntoUserId: null, mergedAt: null });

    const badDate = await t.app.inject({ method: 'GET', url: '/v1/admin/guests?activeBefore=yesterday', headers: admin });
    expect(badDate.statusCode).toBe(400);
    expect(badDate.json().errors[0].pointer).toBe('/querystring/activeBefore');
    // Dates JavaScript parses but PostgreSQL cannot store (a 500 there before): years 1000-9999 only.
    for (const q of ['activeBefore=-271821-04-20T00:00:00Z', 'activeAfter=%2B275760-09-13T00:00:00.000Z', 'activeBefore=0999-01-01', 'activeBefore=9999-12-31T23:59:59-05:00']) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/admin/guests?${q}`, headers: admin });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().errors[0].pointer).toMatch(/^\/querystring\/active(Before|After)$/);
    }
    const badCursor = await t.app.inject({ method: 'GET', url: '/v1/admin/guests?cursor=nope', headers: admin });
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().code).toBe('invalid_cursor');
  });

  it('removes guests idle longer than maxIdleDays that were never merged', async () => {
    const idle = (await newGuest()).body.id;
    const idleMerged = (await newGuest()).body.id;
    const active = (await newGuest()).body.id;
    await t.ctx.services.guests.merge(idleMerged, 'user-kept');
    const old = new Date(Date.now() - 31 * 86_400_000).toISOString();
    const value = target.name === 'postgres' ? sql`cast(${old} as timestamptz)` : old;
    await t.ctx.db.updateTable('guests').set({ last_active_at: value }).where('id', 'in', [idle, idleMerged]).execute();

    const recorder = recordEvents(t);
    const removed = await t.ctx.services.guests.removeIdle(new Date(), 1);
    recorder.stop();
    const expired = recorder.payloads('guest.expired').flatMap((e) => e.guestIds);
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(expired).toContain(idle);
    expect(await t.ctx.services.guests.get(idle)).toBeNull();
    expect(await t.ctx.services.guests.get(idleMerged)).not.toBeNull();
    expect(await t.ctx.services.guests.get(active)).not.toBeNull();
  });

  it('erases guests merged into a user when that user is deleted', async () => {
    const id = (await newGuest()).body.id;
    await t.ctx.services.guests.merge(id, 'user-to-delete');
    await t.ctx.events.emit('user.deleted', { userId: 'user-to-delete' });
    expect(await t.ctx.services.guests.get(id)).toBeNull();
  });

  it('limits new guests per client IP with 429 and Retry-After', async () => {
    const small = await createTestApp({ target, modules: [guestsModule], config: { modules: { guests: { createPerIpPerHour: 2 } } } });
    try {
      const post = (ip: string) => small.app.inject({ method: 'POST', url: '/v1/public/guest', remoteAddress: ip });
      expect((await post('198.51.100.1')).statusCode).toBe(201);
      expect((await post('198.51.100.1')).statusCode).toBe(201);
      const limited = await post('198.51.100.1');
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('guest_rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await post('198.51.100.2')).statusCode).toBe(201);
    } finally {
      await small.close();
    }
  });

  it('answers 409 to a signed-in caller asking for a guest identity', async () => {
    // The kernel admin token resolves to a service actor: not a guest.
    const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: admin });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('already_signed_in');
  });
});
