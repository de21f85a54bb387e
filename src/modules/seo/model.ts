import { toIso, toIsoOrNull } from '../../core/db/dialect.js';
import { absoluteUrl } from './paths.js';
import type { ChangeFreq, SeoPageRow } from './schema.js';

export interface Alternate {
  hreflang: string;
  href: string;
}

export interface AdminPage {
  id: string;
  path: string;
  locale: string;
  title: string | null;
  description: string | null;
  canonicalUrl: string | null;
  image: string | null;
  openGraph: Record<string, string> | null;
  twitter: Record<string, string> | null;
  alternates: Alternate[];
  noindex: boolean;
  priority: number | null;
  changefreq: ChangeFreq | null;
  lastmod: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PublicPage {
  path: string;
  locale: string;
  url: string;
  title: string | null;
  description: string | null;
  canonicalUrl: string;
  robots: string;
  noindex: boolean;
  image: string | null;
  openGraph: Record<string, string>;
  twitter: Record<string, string>;
  alternates: Alternate[];
  lastmod: string | null;
  updatedAt: string;
}

const json = <T>(text: string | null): T | null => (text ? (JSON.parse(text) as T) : null);

export function toAdminPage(r: SeoPageRow): AdminPage {
  return {
    id: r.id,
    path: r.path,
    locale: r.locale,
    title: r.title,
    description: r.description,
    canonicalUrl: r.canonical_url,
    image: r.image,
    openGraph: json(r.open_graph),
    twitter: json(r.twitter),
    alternates: json<Alternate[]>(r.alternates) ?? [],
    noindex: Number(r.noindex) === 1,
    priority: r.priority === null ? null : Number(r.priority),
    changefreq: r.changefreq,
    lastmod: toIsoOrNull(r.lastmod),
    createdAt: toIso(r.created_at),
    updatedAt: toIso(r.updated_at),
  };
}

/**
 * The render-time view: every URL absolute under the site, the canonical resolved (itself when
 * none was given), Open Graph and Twitter falling back to the page's title, description and image,
 * so a front-end can print the tags without rules of its own.
 */
export function toPublicPage(p: AdminPage, base: string): PublicPage {
  const abs = (href: string | null | undefined) => (href ? absoluteUrl(base, href) : null);
  const url = abs(p.path)!;
  const image = abs(p.image);
  const og: Record<string, string> = { ...(p.openGraph ?? {}) };
  og.title ??= p.title ?? '';
  og.description ??= p.description ?? '';
  og.url = abs(p.canonicalUrl) ?? url;
  og.type ??= 'website';
  if (og.image) og.image = abs(og.image) ?? og.image;
  else if (image) og.image = image;
  const tw: Record<string, string> = { ...(p.twitter ?? {}) };
  tw.card ??= og.image ? 'summary_large_image' : 'summary';
  tw.title ??= og.title;
  tw.description ??= og.description;
  if (tw.image) tw.image = abs(tw.image) ?? tw.image;
  else if (og.image) tw.image = og.image;
  for (const o of [og, tw]) for (const k of Object.keys(o)) if (o[k] === '') delete o[k];
  return {
    path: p.path,
    locale: p.locale,
    url,
    title: p.title,
    description: p.description,
    canonicalUrl: og.url,
    robots: p.noindex ? 'noindex, follow' : 'index, follow',
    noindex: p.noindex,
    image,
    openGraph: og,
    twitter: tw,
    alternates: p.alternates.map((a) => ({ hreflang: a.hreflang, href: abs(a.href) ?? a.href })),
    lastmod: p.lastmod,
    updatedAt: p.updatedAt,
  };
}
