import type { Alternate } from './model.js';
import { absoluteUrl, xmlEscape } from './paths.js';
import { CHANGE_FREQS, type ChangeFreq } from './schema.js';

/** One URL for the sitemap, as pages and contributing modules give it. */
export interface SitemapUrl {
  /** A path on the site (`/blog/hola`) or an absolute http(s) URL. */
  loc: string;
  lastmod?: string | Date | null;
  changefreq?: ChangeFreq | null;
  /** 0.0-1.0. */
  priority?: number | null;
  /** Language versions (hreflang), written as `<xhtml:link rel="alternate">`. */
  alternates?: Alternate[];
}

/** A module's URLs: `ctx.services.seo.contribute({ name, urls })` (docs/seo.md). */
export interface SitemapSource {
  /** For logs. */
  name: string;
  /** Read each time the sitemap is built (after a change, or once the cache TTL ran out). */
  urls: () => AsyncIterable<SitemapUrl> | Iterable<SitemapUrl> | Promise<Iterable<SitemapUrl>>;
}

/** /sitemap.xml alone (`index` null), or an index whose files are `parts[0]` = /sitemap-1.xml… */
export interface BuiltSitemap {
  index: string | null;
  parts: string[];
  urls: number;
  /** Contributed URLs left out because they were not URLs. */
  skipped: number;
}

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const URLSET_OPEN = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n';
const URLSET_CLOSE = '</urlset>\n';
const FRAME_BYTES = Buffer.byteLength(HEAD + URLSET_OPEN + URLSET_CLOSE);
/** The protocol's limit on a `<loc>`. */
const MAX_LOC = 2048;

/** W3C Datetime (second precision, UTC). */
export function w3cDate(value: string | Date | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const d = value instanceof Date ? value : new Date(value);
  const ms = d.getTime();
  if (!Number.isFinite(ms) || d.getUTCFullYear() < 1000 || d.getUTCFullYear() > 9999) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function priorityText(p: number | null | undefined): string | null {
  if (p === null || p === undefined || !Number.isFinite(p) || p < 0 || p > 1) return null;
  const r = Math.round(p * 100) / 100;
  return r.toFixed(Number.isInteger(Math.round(r * 100) / 10) ? 1 : 2);
}

/** One `<url>` element, or null when `loc` is not a URL (or too long). */
export function urlElement(base: string, u: SitemapUrl): { loc: string; xml: string; lastmod: string | null } | null {
  const loc = absoluteUrl(base, u.loc);
  if (!loc || loc.length > MAX_LOC) return null;
  const lastmod = w3cDate(u.lastmod);
  let xml = `<url><loc>${xmlEscape(loc)}</loc>`;
  if (lastmod) xml += `<lastmod>${lastmod}</lastmod>`;
  if (u.changefreq && CHANGE_FREQS.includes(u.changefreq)) xml += `<changefreq>${u.changefreq}</changefreq>`;
  const priority = priorityText(u.priority);
  if (priority) xml += `<priority>${priority}</priority>`;
  for (const a of u.alternates ?? []) {
    const href = absoluteUrl(base, a.href);
    if (href && /^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*|x-default)$/.test(a.hreflang)) {
      xml += `<xhtml:link rel="alternate" hreflang="${xmlEscape(a.hreflang)}" href="${xmlEscape(href)}"/>`;
    }
  }
  return { loc, xml: xml + '</url>\n', lastmod };
}

/**
 * Splits URL elements into sitemap files of at most `maxUrls` URLs and `maxBytes` bytes each
 * (sitemaps.org: 50,000 and 52,428,800), and writes the index when more than one file is needed.
 */
export class SitemapWriter {
  private readonly parts: Array<{ xml: string[]; bytes: number; count: number; lastmod: string | null }> = [];
  private urls = 0;
  skipped = 0;

  constructor(
    private readonly base: string,
    private readonly limits: { maxUrls: number; maxBytes: number },
  ) {}

  add(element: { xml: string; lastmod: string | null }): void {
    const bytes = Buffer.byteLength(element.xml);
    let part = this.parts[this.parts.length - 1];
    if (!part || part.count >= this.limits.maxUrls || part.bytes + bytes > this.limits.maxBytes) {
      part = { xml: [], bytes: FRAME_BYTES, count: 0, lastmod: null };
      this.parts.push(part);
    }
    part.xml.push(element.xml);
    part.bytes += bytes;
    part.count++;
    if (element.lastmod && (!part.lastmod || element.lastmod > part.lastmod)) part.lastmod = element.lastmod;
    this.urls++;
  }

  finish(): BuiltSitemap {
    const files = (this.parts.length ? this.parts : [{ xml: [], bytes: 0, count: 0, lastmod: null }]).map(
      (p) => HEAD + URLSET_OPEN + p.xml.join('') + URLSET_CLOSE,
    );
    if (files.length === 1) return { index: null, parts: files, urls: this.urls, skipped: this.skipped };
    let index = HEAD + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n';
    this.parts.forEach((p, i) => {
      index += `<sitemap><loc>${xmlEscape(`${this.base}/sitemap-${i + 1}.xml`)}</loc>`;
      if (p.lastmod) index += `<lastmod>${p.lastmod}</lastmod>`;
      index += '</sitemap>\n';
    });
    index += '</sitemapindex>\n';
    return { index, parts: files, urls: this.urls, skipped: this.skipped };
  }
}
