import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { createTestApp, type TestApp } from '../../testing/app.js';
import type { TestTarget } from '../../testing/targets.js';
import type { AnyModule } from '../../core/module.js';
import seoModule from './module.js';

/** Test helpers shared by the seo suites (not shipped behaviour). */

export const ADMIN_TOKEN = 'admin-token-for-seo-tests-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
export const SITE = 'https://www.example.com';

export function seoTestApp(target: TestTarget, seo: Record<string, unknown> = {}, more: AnyModule[] = []): Promise<TestApp> {
  return createTestApp({
    target,
    modules: [seoModule, ...more],
    config: { admin: { token: ADMIN_TOKEN }, modules: { seo: { siteUrl: SITE, ...seo } } },
  });
}

export async function createPage(t: TestApp, body: Record<string, unknown>) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/admin/seo/pages', headers: admin, payload: body });
  if (res.statusCode !== 201) throw new Error(`page creation failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; path: string; [k: string]: unknown };
}

const W3C_DATETIME = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;
const CHANGEFREQ = ['always', 'hourly', 'daily', 'weekly', 'monthly', 'yearly', 'never'];
const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export interface CheckedUrl {
  loc: string;
  lastmod?: string;
  changefreq?: string;
  priority?: string;
  alternates: Array<{ hreflang: string; href: string }>;
}

/**
 * Checks a sitemap file against the sitemaps.org 0.9 schema's rules (what its XSD and protocol
 * page say): well-formed UTF-8 XML, the namespace, at most `maxUrls` URLs and `maxBytes` bytes,
 * `<loc>` an absolute http(s) URL of at most 2,048 characters with entities escaped, `<lastmod>`
 * W3C Datetime, `<changefreq>` one of the seven values, `<priority>` 0.0-1.0, children in the XSD's
 * order, xhtml:link alternates well formed. Throws naming the first violation; returns the URLs.
 */
export function checkUrlset(xml: string, limits = { maxUrls: 50_000, maxBytes: 52_428_800 }): CheckedUrl[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  if (!xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')) throw new Error('missing XML declaration with UTF-8');
  if (Buffer.byteLength(xml) > limits.maxBytes) throw new Error(`file over ${limits.maxBytes} bytes`);
  // Raw text between tags: no bare & or < (escaping), checked on the text itself, not the parse.
  for (const m of xml.matchAll(/<loc>([^<]*)<\/loc>/g)) {
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[1])) throw new Error(`unescaped & in ${m[1]}`);
  }
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, preserveOrder: false }).parse(xml);
  const set = parsed.urlset;
  if (!set) throw new Error('root is not <urlset>');
  if (set['@xmlns'] !== 'http://www.sitemaps.org/schemas/sitemap/0.9') throw new Error('wrong namespace');
  const urls = arr(set.url as Record<string, unknown> | Array<Record<string, unknown>>);
  if (urls.length > limits.maxUrls) throw new Error(`${urls.length} URLs, over ${limits.maxUrls}`);
  // Child order (loc, lastmod, changefreq, priority, then other namespaces) on the raw elements.
  for (const m of xml.matchAll(/<url>(.*?)<\/url>/gs)) {
    const names = [...m[1].matchAll(/<([a-z:]+)[ >/]/g)].map((x) => x[1]).filter((n) => !n.includes(':'));
    const order = ['loc', 'lastmod', 'changefreq', 'priority'];
    const idx = names.map((n) => order.indexOf(n));
    if (idx[0] !== 0 || idx.some((v, i) => v < 0 || (i > 0 && v <= idx[i - 1]))) throw new Error(`bad child order: ${names.join(',')}`);
  }
  return urls.map((u) => {
    const loc = String(u.loc);
    if (loc.length > 2048 || !/^https?:\/\/[^\s]+$/.test(loc)) throw new Error(`loc not an absolute URL: ${loc}`);
    new URL(loc);
    if (u.lastmod !== undefined && !W3C_DATETIME.test(String(u.lastmod))) throw new Error(`lastmod not W3C Datetime: ${u.lastmod}`);
    if (u.changefreq !== undefined && !CHANGEFREQ.includes(String(u.changefreq))) throw new Error(`bad changefreq ${u.changefreq}`);
    if (u.priority !== undefined) {
      const p = String(u.priority);
      if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(p)) throw new Error(`priority out of range: ${p}`);
    }
    const alternates = arr(u['xhtml:link'] as Record<string, string> | Array<Record<string, string>>).map((l) => {
      if (l['@rel'] !== 'alternate' || !l['@hreflang'] || !/^https?:\/\//.test(l['@href'])) throw new Error(`bad xhtml:link ${JSON.stringify(l)}`);
      return { hreflang: l['@hreflang'], href: l['@href'] };
    });
    if (alternates.length && set['@xmlns:xhtml'] !== 'http://www.w3.org/1999/xhtml') throw new Error('xhtml namespace missing');
    return { loc, lastmod: u.lastmod as string | undefined, changefreq: u.changefreq as string | undefined, priority: u.priority as string | undefined, alternates };
  });
}

/** Checks a sitemap index the same way; returns the listed sitemap URLs. */
export function checkIndex(xml: string): string[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false }).parse(xml);
  const index = parsed.sitemapindex;
  if (!index || index['@xmlns'] !== 'http://www.sitemaps.org/schemas/sitemap/0.9') throw new Error('root is not a sitemapindex in the 0.9 namespace');
  const maps = arr(index.sitemap as Record<string, unknown> | Array<Record<string, unknown>>);
  if (maps.length > 50_000) throw new Error('over 50,000 sitemaps');
  return maps.map((m) => {
    if (m.lastmod !== undefined && !W3C_DATETIME.test(String(m.lastmod))) throw new Error(`lastmod not W3C Datetime: ${m.lastmod}`);
    const loc = String(m.loc);
    if (!/^https?:\/\//.test(loc)) throw new Error(`loc not absolute: ${loc}`);
    return loc;
  });
}
