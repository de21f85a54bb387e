import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { CookieJar, TEST_ORIGIN } from '../../testing/auth.js';
import { freezeClock, type TestClock } from '../../testing/clock.js';
import { admin, notificationsApp, person } from './testing.js';

/** The news bar: admin CRUD, audiences, the time window, languages and dismissals. */
describe.each(targets)('notifications: news bar on %s', (target) => {
  let t: TestApp;
  let clock: TestClock | null = null;

  beforeAll(async () => {
    t = await notificationsApp(target, { workers: false });
  });
  afterEach(() => {
    clock?.restore();
    clock = null;
  });
  afterAll(() => t?.close());

  const create = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/v1/admin/notifications/news', headers: admin, payload });
  const visible = async (headers: Record<string, string> = {}) =>
    ((await t.app.inject({ method: 'GET', url: '/v1/public/news', headers })).json().data as { id: string; title: string; body: string }[]);

  it('shows each visitor the items of their audience, in their language, until dismissed', async () => {
    clock = freezeClock('2031-01-10T12:00:00Z');
    const tag = Math.random().toString(36).slice(2, 8);
    const everyone = (await create({ title: { es: `Hola ${tag}`, en: `Hello ${tag}` }, body: { es: 'Para todos', en: 'For all' }, priority: 1 })).json();
    const guestsOnly = (await create({ title: { es: `Invitados ${tag}` }, body: { es: 'Regístrate' }, audience: 'guests', link: '/signup' })).json();
    const usersOnly = (await create({ title: { en: `Members ${tag}` }, body: { en: 'Thanks' }, audience: 'users', dismissible: false })).json();
    const admins = (await create({ title: { en: `Admins ${tag}` }, body: { en: 'Ops' }, audience: 'role', audienceValue: 'admin' })).json();
    const later = (await create({ title: { en: `Later ${tag}` }, body: { en: 'Soon' }, startsAt: '2031-01-11T00:00:00Z', endsAt: '2031-01-12T00:00:00Z' })).json();
    expect(everyone).toMatchObject({ audience: 'everyone', dismissible: true, priority: 1 });

    const mine = (items: { id: string }[]) => items.map((i) => i.id).filter((id) => [everyone.id, guestsOnly.id, usersOnly.id, admins.id, later.id].includes(id));

    // Anonymous: everyone only; Accept-Language picks the language, falling back to the other.
    expect(mine(await visible())).toEqual([everyone.id]);
    expect((await visible({ 'accept-language': 'en' })).find((i) => i.id === everyone.id)!.title).toBe(`Hello ${tag}`);
    expect((await visible({ 'accept-language': 'es' })).find((i) => i.id === everyone.id)!.title).toBe(`Hola ${tag}`);

    const jar = new CookieJar();
    jar.store(await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { origin: TEST_ORIGIN } }));
    expect(mine(await visible({ cookie: jar.header() }))).toEqual([everyone.id, guestsOnly.id]);

    const u = await person(t);
    expect(mine(await visible({ cookie: u.cookie, 'accept-language': 'es' }))).toEqual([everyone.id, usersOnly.id]);
    // Only in English: a Spanish reader still gets it.
    expect((await visible({ cookie: u.cookie, 'accept-language': 'es' })).find((i) => i.id === usersOnly.id)!.title).toBe(`Members ${tag}`);
    await t.ctx.services.auth.setRole(u.userId, 'admin');

    // Dismissals are remembered per visitor; a non-dismissible item stays.
    const dismiss = (id: string, cookie: string) => t.app.inject({ method: 'POST', url: `/v1/notifications/news/${id}/dismiss`, headers: { cookie, origin: TEST_ORIGIN } });
    expect((await dismiss(everyone.id, u.cookie)).statusCode).toBe(204);
    expect((await dismiss(everyone.id, u.cookie)).statusCode).toBe(204);
    expect((await dismiss(usersOnly.id, u.cookie)).statusCode).toBe(409);
    expect((await dismiss('missing', u.cookie)).statusCode).toBe(404);
    expect(mine(await visible({ cookie: u.cookie }))).not.toContain(everyone.id);
    expect(mine(await visible({ cookie: jar.header() }))).toContain(everyone.id);
    expect((await t.app.inject({ method: 'POST', url: `/v1/notifications/news/${everyone.id}/dismiss`, headers: { origin: TEST_ORIGIN } })).statusCode).toBe(401);

    // The time window: shown from startsAt, gone at endsAt.
    clock.set('2031-01-11T06:00:00Z');
    expect(mine(await visible())).toContain(later.id);
    clock.set('2031-01-12T00:00:00Z');
    expect(mine(await visible())).not.toContain(later.id);

    // Edit and delete.
    const edited = await t.app.inject({ method: 'PATCH', url: `/v1/admin/notifications/news/${guestsOnly.id}`, headers: admin, payload: { audience: 'everyone', priority: 5 } });
    expect(edited.json()).toMatchObject({ audience: 'everyone', priority: 5, link: '/signup' });
    expect(mine(await visible())[0]).toBe(guestsOnly.id);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/notifications/news/${guestsOnly.id}`, headers: admin })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/news/${guestsOnly.id}`, headers: admin })).statusCode).toBe(404);
    const list = (await t.app.inject({ method: 'GET', url: '/v1/admin/notifications/news?limit=100', headers: admin })).json();
    expect(list.data.map((n: { id: string }) => n.id)).toContain(admins.id);
  });

  it('refuses bad items with 400 and writes nothing', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/v1/admin/notifications/news?limit=100', headers: admin })).json().data.length;
    const cases: Record<string, unknown>[] = [
      { title: {}, body: { es: 'x' } },
      { title: { es: 'x' }, body: { es: 'x' }, audience: 'role' },
      { title: { es: 'x' }, body: { es: 'x' }, audience: 'role', audienceValue: 'wizard' },
      { title: { es: 'x' }, body: { es: 'x' }, startsAt: '2031-02-01T00:00:00Z', endsAt: '2031-01-01T00:00:00Z' },
      { title: { es: 'x' }, body: { es: 'x' }, link: 'javascript:alert(1)' },
      { title: { fr: 'x' }, body: { es: 'x' } },
    ];
    for (const payload of cases) {
      const res = await create(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/notifications/news?limit=100', headers: admin })).json().data.length).toBe(before);
    const u = await person(t);
    expect((await t.app.inject({ method: 'POST', url: '/v1/admin/notifications/news', headers: { cookie: u.cookie, origin: TEST_ORIGIN }, payload: cases[0] })).statusCode).toBe(403);
  });
});
