import type { ModuleContext } from '../../core/module.js';
import { typedDb } from '../../core/db/dialect.js';
import type { SeoConfig } from './config.js';
import { SeoCache } from './cache.js';
import { toAdminPage, toPublicPage, type PublicPage } from './model.js';
import { PageStore } from './pages.js';
import { absoluteUrl, normalizePath, siteBase } from './paths.js';
import { robotsTxt } from './robots.js';
import type { SeoTables, SeoTrx } from './schema.js';
import { SitemapWriter, urlElement, type BuiltSitemap, type SitemapSource } from './sitemap.js';

const BATCH = 1000;

/** SEO metadata, the sitemap and robots.txt. Other modules add sitemap URLs with `contribute`. */
export class SeoService {
  readonly pages: PageStore;
  readonly cache: SeoCache<PublicPage, BuiltSitemap>;
  /** The site's base URL (no trailing slash). */
  readonly base: string;
  readonly defaultLocale: string;
  private readonly sources = new Map<string, SitemapSource>();
  private building: Promise<BuiltSitemap> | null = null;

  constructor(private readonly ctx: ModuleContext<SeoConfig>) {
    this.base = siteBase(ctx.config.siteUrl ?? ctx.appConfig.server.publicUrl);
    this.defaultLocale = ctx.config.defaultLocale ?? ctx.appConfig.i18n.defaultLocale;
    this.cache = new SeoCache(ctx.config.cacheTtlSeconds * 1000);
    this.pages = new PageStore(ctx, this.defaultLocale, (generation) => this.cache.changed(ctx.pubsub, generation));
  }

  /**
   * Adds a module's URLs to /sitemap.xml; returns a function that removes them. Call it from your
   * module's `start(ctx)` (every service exists by then), and `invalidate()` when they change.
   *
   * @example
   *   start(ctx) {
   *     ctx.services.seo?.contribute({
   *       name: 'blog',
   *       urls: async function* () {
   *         for (const post of await listPublished(ctx)) yield { loc: `/blog/${post.slug}`, lastmod: post.updatedAt };
   *       },
   *     });
   *   }
   */
  contribute(source: SitemapSource): () => void {
    if (this.sources.has(source.name)) throw new Error(`A sitemap source named "${source.name}" is already registered`);
    this.sources.set(source.name, source);
    this.cache.drop();
    return () => {
      if (this.sources.get(source.name) === source) this.sources.delete(source.name);
      this.cache.drop();
    };
  }

  /**
   * Tells every replica that contributed URLs changed: the sitemap is rebuilt at its next request
   * (inside `ctx.tx`, after the commit). Page writes do this themselves.
   */
  async invalidate(): Promise<void> {
    const generation = await this.ctx.tx(async (trx: SeoTrx) => {
      const g = await this.pages.bump(trx);
      trx.afterCommit(() => this.cache.changed(this.ctx.pubsub, g));
      return g;
    });
    void generation;
  }

  /**
   * The page's metadata for render time: `locale` exactly, or the first of `preferred` that
   * exists, then the default locale, then any. Null when the path has none.
   */
  async lookup(rawPath: string, locale: string | undefined, preferred: string[]): Promise<PublicPage | null> {
    const path = normalizePath(rawPath);
    if (path === null) return null;
    const key = `${path}\u0000${locale ?? ''}\u0000${preferred.join(',')}`;
    const hit = this.cache.getPage(key);
    if (hit) return hit.page;
    const stamp = this.cache.stamp;
    const rows = await this.pages.byPath(path);
    let chosen = locale ? rows.find((r) => r.locale === locale) : undefined;
    if (!locale) {
      for (const want of [...preferred, this.defaultLocale]) {
        chosen ??= rows.find((r) => r.locale === want) ?? rows.find((r) => r.locale.split('-')[0] === want);
      }
      chosen ??= [...rows].sort((a, b) => a.locale.localeCompare(b.locale))[0];
    }
    const page = chosen ? toPublicPage(chosen, this.base) : null;
    this.cache.setPage(key, page, stamp);
    return page;
  }

  robots(): string {
    return robotsTxt(this.ctx.config, this.base);
  }

  /** The sitemap as of the database's current change counter (rebuilt once per change or TTL; one build at a time). */
  async sitemap(): Promise<BuiltSitemap> {
    const generation = await this.pages.generation();
    const cached = this.cache.getSitemap(generation);
    if (cached) return cached;
    this.building ??= this.build()
      .then((built) => {
        this.cache.setSitemap(generation, built);
        return built;
      })
      .finally(() => {
        this.building = null;
      });
    return this.building;
  }

  private async build(): Promise<BuiltSitemap> {
    const db = typedDb<SeoTables>(this.ctx);
    const writer = new SitemapWriter(this.base, this.ctx.config.sitemap);
    const seen = new Set<string>();
    // noindex pages are left out, including any module's URL for the same address.
    const hidden = await db.selectFrom('seo_pages').select('path').where('noindex', '=', 1).execute();
    for (const h of hidden) seen.add(absoluteUrl(this.base, h.path)!);
    let after = '';
    for (;;) {
      const rows = await db.selectFrom('seo_pages').selectAll().where('noindex', '=', 0).where('id', '>', after).orderBy('id').limit(BATCH).execute();
      for (const row of rows) {
        const p = toAdminPage(row);
        const alternates = p.alternates.length && !p.alternates.some((a) => a.hreflang === p.locale) ? [{ hreflang: p.locale, href: p.path }, ...p.alternates] : p.alternates;
        const el = urlElement(this.base, { loc: p.path, lastmod: p.lastmod ?? p.updatedAt, changefreq: p.changefreq, priority: p.priority, alternates });
        if (el && !seen.has(el.loc)) {
          seen.add(el.loc);
          writer.add(el);
        }
      }
      if (rows.length < BATCH) break;
      after = rows[rows.length - 1].id;
    }
    for (const source of this.sources.values()) {
      try {
        for await (const u of await source.urls()) {
          const el = urlElement(this.base, u);
          if (!el) writer.skipped++;
          else if (!seen.has(el.loc)) {
            seen.add(el.loc);
            writer.add(el);
          }
        }
      } catch (err) {
        // One broken contributor must not take the whole sitemap down: its URLs are missing until it recovers.
        this.ctx.log.error({ err, source: source.name }, 'sitemap source failed');
      }
    }
    const built = writer.finish();
    if (built.skipped) this.ctx.log.warn({ skipped: built.skipped }, 'sitemap: contributed URLs that are not URLs were left out');
    return built;
  }
}
