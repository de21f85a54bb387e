import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../../core/module.js';
import type { TestApp } from '../../testing/app.js';
import { createTestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import type { SitemapUrl } from './sitemap.js';
import { admin, checkIndex, checkUrlset, createPage, seoTestApp, SITE } from './testing.js';

/** A module contributing URLs the way an app's module would (docs/seo.md). */
let shopUrls: SitemapUrl[] = [];
const shop = defineModule({
  name: 'shop',
  start: (ctx) => {
    ctx.services.seo?.contribute({ name: 'shop', urls: async function* () { yield* shopUrls; } });
  },
});

describe.each(targets)('sitemap and robots on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await seoTestApp(target, { sitemap: { maxUrls: 3, maxBytes: 52_428_800 } }, [shop]);
  });
  afterAll(() => t?.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url });

  it('lists indexable pages and contributed URLs, escaped, absolute, with hreflang; noindex left out', async () => {
    shopUrls = [];
    const one = await get('/sitemap.xml');
    expect(one.statusCode).toBe(200);
    expect(one.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(checkUrlset(one.body)).toEqual([]);

    await createPage(t, {
      path: "/ofertas?a=1&b='x'",
      priority: 0.85,
      changefreq: 'daily',
      lastmod: '2030-05-01T10:00:00.123+02:00',
      alternates: [{ hreflang: 'en', href: '/en/offers' }],
    });
    await createPage(t, { path: '/privado', noindex: true });
    shopUrls = [
      { loc: '/tienda/camiseta <roja>', lastmod: new Date('2030-01-02T03:04:05Z'), priority: 1 },
      { loc: "/it's", changefreq: 'never', priority: 0 },
      { loc: '/privado' }, // noindex as a page: left out wherever it comes from
      { loc: 'javascript:alert(1)' }, // not a URL: skipped
    ];
    await t.ctx.services.seo.invalidate();
    const res = await get('/sitemap.xml');
    const urls = checkUrlset(res.body);
    expect(res.body).toContain('?a=1&amp;b=%27x%27</loc>');
    expect(res.body).toContain('/it&apos;s</loc>');
    expect(urls).toEqual([
      {
        loc: `${SITE}/ofertas?a=1&b=%27x%27`,
        lastmod: '2030-05-01T08:00:00Z',
        changefreq: 'daily',
        priority: '0.85',
        alternates: [
          { hreflang: 'es', href: `${SITE}/ofertas?a=1&b=%27x%27` },
          { hreflang: 'en', href: `${SITE}/en/offers` },
        ],
      },
      { loc: `${SITE}/tienda/camiseta%20%3Croja%3E`, lastmod: '2030-01-02T03:04:05Z', changefreq: undefined, priority: '1.0', alternates: [] },
      { loc: `${SITE}/it's`, lastmod: undefined, changefreq: 'never', priority: '0.0', alternates: [] },
    ]);
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
  });

  it('becomes an index past maxUrls; every file validates and the index lists them all', async () => {
    shopUrls = Array.from({ length: 6 }, (_, i) => ({ loc: `/p/${i}` }));
    await t.ctx.services.seo.invalidate();
    const res = await get('/sitemap.xml');
    const files = checkIndex(res.body);
    expect(files).toEqual([1, 2, 3].map((n) => `${SITE}/sitemap-${n}.xml`));
    const all: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const part = await get(`/sitemap-${n}.xml`);
      expect(part.statusCode).toBe(200);
      all.push(...checkUrlset(part.body, { maxUrls: 3, maxBytes: 52_428_800 }).map((u) => u.loc));
    }
    expect(all).toHaveLength(7);
    expect(new Set(all).size).toBe(7);
    expect((await get('/sitemap-4.xml')).statusCode).toBe(404);
    expect((await get('/sitemap-0.xml')).statusCode).toBe(400);
  });

  it('serves robots.txt from configuration with the sitemap URL', async () => {
    const res = await get('/robots.txt');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe(`User-agent: *\nAllow: /\n\nSitemap: ${SITE}/sitemap.xml\n`);
  });
});

describe.each(targets)('sitemap split by size on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await seoTestApp(
      target,
      {
        sitemap: { maxBytes: 4096 },
        robots: { rules: [{ userAgent: ['Googlebot', 'Bingbot'], disallow: ['/admin', '/checkout'], crawlDelay: 5 }, { userAgent: ['*'] }], extraSitemaps: ['https://cdn.example.com/images.xml'] },
      },
      [shop],
    );
  });
  afterAll(() => t?.close());

  it('keeps every file under maxBytes', async () => {
    shopUrls = Array.from({ length: 120 }, (_, i) => ({ loc: `/producto/${'x'.repeat(60)}-${i}`, lastmod: '2030-01-01T00:00:00Z', changefreq: 'weekly' as const }));
    await t.ctx.services.seo.invalidate();
    const files = checkIndex((await t.app.inject({ method: 'GET', url: '/sitemap.xml' })).body);
    expect(files.length).toBeGreaterThan(1);
    let total = 0;
    for (let n = 1; n <= files.length; n++) {
      const body = (await t.app.inject({ method: 'GET', url: `/sitemap-${n}.xml` })).body;
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(4096);
      total += checkUrlset(body, { maxUrls: 50_000, maxBytes: 4096 }).length;
    }
    expect(total).toBe(120);
  });

  it('writes robots groups, crawl delays and extra sitemaps', async () => {
    const body = (await t.app.inject({ method: 'GET', url: '/robots.txt' })).body;
    expect(body).toBe(
      'User-agent: Googlebot\nUser-agent: Bingbot\nDisallow: /admin\nDisallow: /checkout\nCrawl-delay: 5\n\nUser-agent: *\nDisallow:\n\n' +
        `Sitemap: ${SITE}/sitemap.xml\nSitemap: https://cdn.example.com/images.xml\n`,
    );
  });
});

describe.each(targets)('two replicas sharing a database on %s', (target) => {
  let a: TestApp;
  let b: TestApp;
  // With Redis the message is what invalidates (the periodic check is pushed out of the test's
  // reach); two processes on one SQLite file share no pub/sub, so there the check is what does.
  const checkIntervalSeconds = target.redisUrl ? 3600 : 1;
  beforeAll(async () => {
    a = await seoTestApp(target, { checkIntervalSeconds });
    b = await createTestApp({ target, replicaOf: a, modules: [(await import('./module.js')).default] });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a change on one replica reaches the other: page lookups and the sitemap', async () => {
    const page = await createPage(a, { path: '/shared', title: 'v1' });
    const read = async (app: TestApp) => (await app.app.inject({ method: 'GET', url: '/v1/public/seo/pages?path=/shared' })).json().title;
    expect(await read(b)).toBe('v1');
    expect(checkUrlset((await b.app.inject({ method: 'GET', url: '/sitemap.xml' })).body).map((u) => u.loc)).toEqual([`${SITE}/shared`]);

    await a.app.inject({ method: 'PATCH', url: `/v1/admin/seo/pages/${page.id}`, headers: admin, payload: { title: 'v2', noindex: true } });
    // The sitemap checks the database's change counter on every request: at once.
    expect(checkUrlset((await b.app.inject({ method: 'GET', url: '/sitemap.xml' })).body)).toEqual([]);
    // Page lookups, cached on b, follow the pub/sub message (or the periodic check on SQLite).
    await waitFor(async () => (await read(b)) === 'v2', 'replica b to drop its cached page');
  });
});
