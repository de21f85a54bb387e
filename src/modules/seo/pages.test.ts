import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { normalizePath } from './paths.js';
import { admin, createPage, seoTestApp, SITE } from './testing.js';

describe('seo paths', () => {
  it('normalizes paths and refuses what is not one', () => {
    expect(normalizePath('/Acerca/')).toBe('/Acerca');
    expect(normalizePath(' //x')).toBeNull();
    expect(normalizePath('/a//b/./c/../d/')).toBe('/a/b/d');
    expect(normalizePath('/café')).toBe('/caf%C3%A9');
    expect(normalizePath('/a b?q=1#frag')).toBe('/a%20b?q=1');
    expect(normalizePath('/')).toBe('/');
    for (const bad of ['about', 'https://evil.example/x', '//evil.example/x', '/a\\b', '']) expect(normalizePath(bad), bad).toBeNull();
  });
});

describe.each(targets)('seo pages on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await seoTestApp(target, { publicMaxAgeSeconds: 120 });
  });
  afterAll(() => t?.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

  it('creates, normalizes, refuses duplicates per locale, lists by pages, patches and deletes', async () => {
    const es = await createPage(t, { path: '/acerca/', title: 'Acerca', description: 'Quiénes somos', priority: 0.8, changefreq: 'monthly' });
    expect(es).toMatchObject({ path: '/acerca', locale: 'es', title: 'Acerca', noindex: false, priority: 0.8, changefreq: 'monthly', alternates: [] });
    await createPage(t, { path: '/acerca', locale: 'en', title: 'About' });
    const dup = await t.app.inject({ method: 'POST', url: '/v1/admin/seo/pages', headers: admin, payload: { path: '/acerca//' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'seo_page_exists' });
    expect(dup.headers['content-type']).toMatch(/application\/problem\+json/);

    for (let i = 0; i < 5; i++) await createPage(t, { path: `/list/${i}`, title: `Item ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ limit: '2', pathPrefix: '/list/' });
      if (cursor) q.set('cursor', cursor);
      const res = await get(`/v1/admin/seo/pages?${q}`, admin);
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().data.map((p: { path: string }) => p.path));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(['/list/0', '/list/1', '/list/2', '/list/3', '/list/4']);

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/admin/seo/pages/${es.id}`,
      headers: admin,
      payload: { title: 'Sobre nosotros', priority: null, noindex: true, alternates: [{ hreflang: 'en', href: '/acerca' }] },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ title: 'Sobre nosotros', priority: null, noindex: true, alternates: [{ hreflang: 'en', href: '/acerca' }] });
    expect((await get(`/v1/admin/seo/pages/${es.id}`, admin)).json().title).toBe('Sobre nosotros');
    const moveOnto = await t.app.inject({ method: 'PATCH', url: `/v1/admin/seo/pages/${es.id}`, headers: admin, payload: { locale: 'en' } });
    expect(moveOnto.statusCode).toBe(409);

    const item = await createPage(t, { path: '/to-delete' });
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/seo/pages/${item.id}`, headers: admin })).statusCode).toBe(204);
    const audited = await get(`/v1/admin/audit?limit=100`, admin);
    const actions = audited.json().data.filter((e: { action: string }) => e.action.startsWith('seo.')).map((e: { action: string; target: { id: string } }) => `${e.action} ${e.target.id}`);
    expect(actions).toEqual(expect.arrayContaining([`seo.page_created ${es.id}`, `seo.page_updated ${es.id}`, `seo.page_deleted ${item.id}`]));
    const again = await t.app.inject({ method: 'DELETE', url: `/v1/admin/seo/pages/${item.id}`, headers: admin });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('seo_page_not_found');
  });

  it('refuses bad input with field errors in es and en, and writes nothing', async () => {
    const count = async () => Number((await t.ctx.db.selectFrom('seo_pages' as never).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ path: 'no-slash' }, '/body/path'],
      [{ path: '//evil.example/x' }, '/body/path'],
      [{ path: '/x', canonicalUrl: 'javascript:alert(1)' }, '/body/canonicalUrl'],
      [{ path: '/x', image: 'ftp://x/y.png' }, '/body/image'],
      [{ path: '/x', alternates: [{ hreflang: 'en', href: '/a' }, { hreflang: 'en', href: '/b' }] }, '/body/alternates/1/hreflang'],
      [{ path: '/x', alternates: [{ hreflang: 'EN!', href: '/a' }] }, '/body/alternates/0/hreflang'],
      [{ path: '/x', priority: 1.5 }, '/body/priority'],
      [{ path: '/x', changefreq: 'sometimes' }, '/body/changefreq'],
      [{ path: '/x', lastmod: '2024-02-30T00:00:00Z' }, '/body/lastmod'],
      [{ path: '/x', twitter: { card: 'huge' } }, '/body/twitter/card'],
      [{ path: '/x', unknown: 1 }, '/body/unknown'],
    ];
    for (const [body, pointer] of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/admin/seo/pages', headers: admin, payload: body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(body)).toContain(pointer);
    }
    expect(await count()).toBe(before);
    const es = await t.app.inject({ method: 'POST', url: '/v1/admin/seo/pages', headers: { ...admin, 'accept-language': 'es' }, payload: { path: 'x' } });
    expect(es.json().title).toBe(t.ctx.i18n.t('es', 'validation_failed'));
  });

  it('serves render-time metadata: absolute URLs, fallbacks, locale negotiation, cache headers and 304', async () => {
    await createPage(t, {
      path: '/promo',
      title: 'Promo de verano',
      description: 'Descuentos',
      image: '/img/promo.jpg',
      twitter: { site: '@neptuno' },
      alternates: [{ hreflang: 'en', href: '/en/promo' }, { hreflang: 'x-default', href: 'https://other.example.com/promo' }],
    });
    await createPage(t, { path: '/promo', locale: 'en', title: 'Summer promo', canonicalUrl: 'https://www.example.com/en/promo' });

    const res = await get('/v1/public/seo/pages?path=/promo/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=120');
    expect(res.headers.vary).toMatch(/Accept-Language/);
    expect(res.json()).toMatchObject({
      path: '/promo',
      locale: 'es',
      url: `${SITE}/promo`,
      canonicalUrl: `${SITE}/promo`,
      robots: 'index, follow',
      image: `${SITE}/img/promo.jpg`,
      openGraph: { title: 'Promo de verano', description: 'Descuentos', url: `${SITE}/promo`, type: 'website', image: `${SITE}/img/promo.jpg` },
      twitter: { card: 'summary_large_image', site: '@neptuno', title: 'Promo de verano', image: `${SITE}/img/promo.jpg` },
      alternates: [{ hreflang: 'en', href: `${SITE}/en/promo` }, { hreflang: 'x-default', href: 'https://other.example.com/promo' }],
    });
    const en = await get('/v1/public/seo/pages?path=/promo', { 'accept-language': 'en-US,en;q=0.9' });
    expect(en.json()).toMatchObject({ locale: 'en', title: 'Summer promo', canonicalUrl: 'https://www.example.com/en/promo' });
    const exact = await get('/v1/public/seo/pages?path=/promo&locale=en');
    expect(exact.json().locale).toBe('en');
    expect((await get('/v1/public/seo/pages?path=/promo&locale=fr')).statusCode).toBe(404);

    const etag = String(res.headers.etag);
    const again = await get('/v1/public/seo/pages?path=/promo', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');

    const missing = await get('/v1/public/seo/pages?path=/nothing-here', { 'accept-language': 'es' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'seo_page_not_found', title: 'Página no encontrada' });
    expect((await get('/v1/public/seo/pages?path=nope')).statusCode).toBe(404);
  });

  it('answers a change at once (the cached lookup is dropped on commit)', async () => {
    const page = await createPage(t, { path: '/cached', title: 'Before' });
    expect((await get('/v1/public/seo/pages?path=/cached')).json().title).toBe('Before');
    await t.app.inject({ method: 'PATCH', url: `/v1/admin/seo/pages/${page.id}`, headers: admin, payload: { title: 'After' } });
    expect((await get('/v1/public/seo/pages?path=/cached')).json().title).toBe('After');
    // A path asked for before it existed (a cached miss) is found once created.
    expect((await get('/v1/public/seo/pages?path=/later')).statusCode).toBe(404);
    await createPage(t, { path: '/later', title: 'Now' });
    expect((await get('/v1/public/seo/pages?path=/later')).json().title).toBe('Now');
  });

  it('is for admins only', async () => {
    expect((await get('/v1/admin/seo/pages')).statusCode).toBe(401);
    const res = await t.app.inject({ method: 'POST', url: '/v1/admin/seo/pages', headers: { authorization: 'Bearer wrong-token-wrong-token-wrong-token' }, payload: { path: '/x' } });
    expect([401, 403]).toContain(res.statusCode);
  });
});
