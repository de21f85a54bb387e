import type { ModuleContext } from '../../core/module.js';
import type { Actor } from '../../core/http/access.js';
import type { LegalConfig } from './config.js';
import { LegalCache } from './cache.js';
import { ConsentStore, type Person } from './consents.js';
import { DocumentStore, type PublishInput } from './documents.js';
import type { DocumentHead, SlugState, Texts } from './model.js';

/** A document to accept, as pending and the 428 problem list it. */
export interface PendingDocument {
  slug: string;
  version: string;
  title: Texts;
  url: string | null;
  required: boolean;
  effectiveAt: string;
}

const toPending = (s: SlugState): PendingDocument => ({
  slug: s.current.slug,
  version: s.current.version,
  title: s.current.title,
  url: s.current.url,
  required: s.required,
  effectiveAt: s.current.effectiveAt,
});

/** A user or a guest (only people accept documents), or null. */
export function personOf(actor: Actor | null): Person | null {
  return actor && (actor.type === 'user' || actor.type === 'guest') ? { type: actor.type, id: actor.id } : null;
}

/** Versioned legal documents and consents; the consent guard (guard.ts) asks `missing`. */
export class LegalService {
  readonly cache: LegalCache;
  readonly documents: DocumentStore;
  readonly consents: ConsentStore;

  constructor(private readonly ctx: ModuleContext<LegalConfig>) {
    this.cache = new LegalCache(ctx.config.cacheTtlSeconds * 1000, async () => ({
      generation: await this.documents.generation(),
      heads: await this.documents.heads(),
    }));
    this.documents = new DocumentStore(ctx, (generation) => this.cache.changed(ctx.pubsub, generation));
    this.consents = new ConsentStore(ctx, this.cache);
  }

  publish(input: PublishInput, actor: Actor | null): Promise<DocumentHead> {
    return this.documents.publish(input, actor);
  }

  /** The version in force of `slug` with its texts, or null. */
  async current(slug: string): Promise<{ head: DocumentHead; content: Texts | null; required: boolean } | null> {
    const state = (await this.cache.currentVersions()).bySlug.get(slug);
    if (!state) return null;
    return { head: state.current, content: await this.documents.content(state.current.id), required: state.current.required };
  }

  /**
   * What `person` should accept now: every document whose acceptance is required and not given
   * for the latest required version (or a later one), then the optional ones whose current
   * version they have not accepted (`required: false`).
   */
  async pending(person: Person): Promise<PendingDocument[]> {
    const all = [...(await this.cache.currentVersions()).bySlug.values()];
    const required = await this.consents.missing(person, all.filter((s) => s.required));
    const optional = await this.consents.missing(
      person,
      all.filter((s) => !s.required).map((s) => ({ ...s, satisfying: [s.current.id] })),
    );
    return [...required, ...optional].map(toPending).sort((a, b) => Number(b.required) - Number(a.required) || a.slug.localeCompare(b.slug));
  }

  /**
   * The documents `person` still has to accept before a guarded route: the configured slugs
   * (`guard.documents`, else every required one), or the route's own list.
   */
  async missing(person: Person, explicit?: readonly string[]): Promise<PendingDocument[]> {
    const { bySlug } = await this.cache.currentVersions();
    let wanted: SlugState[];
    if (explicit) wanted = explicit.map((s) => bySlug.get(s)).filter((s): s is SlugState => !!s);
    else {
      const slugs = this.ctx.config.guard.documents;
      wanted = [...bySlug.values()].filter((s) => s.required && (slugs.length === 0 || slugs.includes(s.current.slug)));
    }
    if (!wanted.length) return [];
    return (await this.consents.missing(person, wanted)).map(toPending);
  }

  /** Per version: how many users and guests accepted it, and whether it is in force. */
  async stats(slug?: string) {
    const [{ ids }, heads, counts] = await Promise.all([this.cache.currentVersions(), this.documents.heads(), this.consents.stats(slug)]);
    const byId = new Map(counts.map((c) => [c.documentId, c]));
    return heads
      .filter((h) => !slug || h.slug === slug)
      .sort((a, b) => a.slug.localeCompare(b.slug) || Date.parse(b.effectiveAt) - Date.parse(a.effectiveAt) || (a.id < b.id ? 1 : -1))
      .map((h) => ({
        id: h.id,
        slug: h.slug,
        version: h.version,
        required: h.required,
        current: ids.has(h.id),
        effectiveAt: h.effectiveAt,
        acceptedByUsers: byId.get(h.id)?.users ?? 0,
        acceptedByGuests: byId.get(h.id)?.guests ?? 0,
      }));
  }
}
