/**
 * Path and URL rules shared by the admin writes, the public read and the sitemap, so a page
 * saved as `/Acerca/` is found as `/Acerca` and listed once.
 */

const BASE = 'http://neptuno.invalid';

/**
 * The stored form of a page path: a leading slash, `.`/`..` segments resolved, repeated slashes
 * collapsed, no trailing slash (except `/`), non-ASCII percent-encoded (as browsers send it), the
 * query kept, the fragment dropped. Null when it is not a path (a full URL, `//host`, a backslash).
 */
export function normalizePath(input: string): string | null {
  const raw = input.trim();
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return null;
  let url: URL;
  try {
    url = new URL(raw.replace(/\/{2,}/g, '/'), BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE) return null;
  let path = url.pathname.replace(/\/{2,}/g, '/');
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path + url.search;
}

/** The site's base URL without a trailing slash. */
export function siteBase(siteUrl: string): string {
  return siteUrl.replace(/\/+$/, '');
}

/** True for an absolute http(s) URL. */
export function isAbsoluteUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * `href` as an absolute URL: kept when already absolute http(s), otherwise a path under the site.
 * Null when neither (the admin API refuses such values; contributed URLs are skipped).
 */
export function absoluteUrl(base: string, href: string): string | null {
  if (isAbsoluteUrl(href)) return new URL(href).href;
  const path = normalizePath(href);
  return path === null ? null : base + (path === '/' ? '/' : path);
}

/** A path or an absolute http(s) URL, as the admin API accepts for canonical, image and alternates. */
export function isPathOrUrl(value: string): boolean {
  return isAbsoluteUrl(value) || normalizePath(value) !== null;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes the five XML entities (sitemaps.org requires them escaped in every data value). */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}
