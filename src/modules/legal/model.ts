import { toIso } from '../../core/db/dialect.js';
import type { LegalConsentRow, LegalDocumentRow } from './schema.js';

export type Texts = { es: string; en: string };
export type Lang = 'es' | 'en' | 'both';

/** A version without its text: what the guard, pending and stats need. */
export interface DocumentHead {
  id: string;
  slug: string;
  version: string;
  title: Texts;
  url: string | null;
  required: boolean;
  effectiveAt: string;
  publishedAt: string;
}

export interface AdminDocument extends DocumentHead {
  content: Texts | null;
  publishedBy: string | null;
  /** This version is the one in force now. */
  current: boolean;
}

export interface Consent {
  slug: string;
  version: string;
  actorType: 'user' | 'guest';
  actorId: string;
  acceptedAt: string;
  ip: string | null;
  userAgent: string | null;
}

export function toHead(r: Pick<LegalDocumentRow, 'id' | 'slug' | 'version' | 'title' | 'url' | 'required' | 'effective_at' | 'published_at'>): DocumentHead {
  return {
    id: r.id,
    slug: r.slug,
    version: r.version,
    title: JSON.parse(r.title) as Texts,
    url: r.url,
    required: Number(r.required) === 1,
    effectiveAt: toIso(r.effective_at),
    publishedAt: toIso(r.published_at),
  };
}

export function toAdminDocument(r: LegalDocumentRow, current: boolean): AdminDocument {
  return { ...toHead(r), content: r.content ? (JSON.parse(r.content) as Texts) : null, publishedBy: r.published_by, current };
}

export function toConsent(r: LegalConsentRow): Consent {
  return { slug: r.slug, version: r.version, actorType: r.actor_type, actorId: r.actor_id, acceptedAt: toIso(r.accepted_at), ip: r.ip, userAgent: r.user_agent };
}

/** Only the asked language(s) of a `{ es, en }` text. */
export function pick(texts: Texts, lang: Lang): Partial<Texts> {
  return lang === 'both' ? texts : { [lang]: texts[lang] };
}

/**
 * One slug as of now: the version in force (`current`), and which versions an acceptance of
 * satisfies it. Publishing a required version makes earlier consents stale; a version published
 * as not required (a typo fix) does not, so an acceptance of the latest required version or of
 * any later one counts. `required` is false when no version in force ever required acceptance
 * (then any acceptance counts, for routes that demand the slug explicitly).
 */
export interface SlugState {
  current: DocumentHead;
  required: boolean;
  satisfying: string[];
}

const byTime = (a: DocumentHead, b: DocumentHead) => Date.parse(a.effectiveAt) - Date.parse(b.effectiveAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Each slug's state at `nowMs`, and the instant it may change (the next scheduled version), or Infinity. */
export function currentOf(heads: DocumentHead[], nowMs: number): { slugs: Map<string, SlugState>; until: number } {
  let until = Infinity;
  const inForce = new Map<string, DocumentHead[]>();
  for (const h of heads) {
    const at = Date.parse(h.effectiveAt);
    if (at > nowMs) until = Math.min(until, at);
    else inForce.set(h.slug, [...(inForce.get(h.slug) ?? []), h]);
  }
  const slugs = new Map<string, SlugState>();
  for (const [slug, versions] of inForce) {
    versions.sort(byTime);
    let anchor = -1;
    versions.forEach((v, i) => {
      if (v.required) anchor = i;
    });
    slugs.set(slug, {
      current: versions[versions.length - 1],
      required: anchor >= 0,
      satisfying: versions.slice(Math.max(anchor, 0)).map((v) => v.id),
    });
  }
  return { slugs, until };
}
