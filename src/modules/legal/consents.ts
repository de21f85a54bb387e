import type { ModuleContext } from '../../core/module.js';
import { failedStatementAbortsTransaction, typedDb } from '../../core/db/dialect.js';
import { isUniqueViolation } from '../../core/db/database.js';
import { conflict, notFound } from '../../core/http/problem.js';
import { newId } from '../../core/ids.js';
import type { LegalConfig } from './config.js';
import type { LegalCache } from './cache.js';
import { toConsent, type Consent, type SlugState } from './model.js';
import type { LegalConsentRow, LegalDb, LegalTables, LegalTrx } from './schema.js';

export type PersonType = 'user' | 'guest';
export interface Person {
  type: PersonType;
  id: string;
}

export interface AcceptInput {
  slug: string;
  version: string;
  ip: string | null;
  userAgent: string | null;
}

export const actorKey = (p: Person) => `${p.type}:${p.id}`;

/** Acceptances: recording, what is pending, history, guest merge, erasure and stats. */
export class ConsentStore {
  constructor(
    private readonly ctx: ModuleContext<LegalConfig>,
    private readonly cache: LegalCache,
  ) {}

  private get db(): LegalDb {
    return typedDb<LegalTables>(this.ctx);
  }

  /**
   * Records that `person` accepted the current version of `slug`. Idempotent: accepting it again
   * answers the first record (`created: false`). Any other version: 409 legal_version_not_current.
   */
  async accept(person: Person, input: AcceptInput): Promise<{ consent: Consent; created: boolean }> {
    const { bySlug } = await this.cache.currentVersions();
    const doc = bySlug.get(input.slug)?.current;
    if (!doc) throw notFound('legal_document_not_found');
    if (doc.version !== input.version) {
      throw conflict('legal_version_not_current', { params: { slug: input.slug, current: doc.version }, extra: { currentVersion: doc.version } });
    }
    const row: LegalConsentRow = {
      id: newId(),
      document_id: doc.id,
      slug: doc.slug,
      version: doc.version,
      actor_type: person.type,
      actor_id: person.id,
      accepted_at: new Date().toISOString(),
      ip: input.ip?.slice(0, 64) ?? null,
      user_agent: input.userAgent?.slice(0, 500) ?? null,
    };
    const existing = () =>
      this.db
        .selectFrom('legal_consents')
        .selectAll()
        .where('document_id', '=', doc.id)
        .where('actor_type', '=', person.type)
        .where('actor_id', '=', person.id)
        .executeTakeFirst();
    let created = false;
    try {
      await this.ctx.tx(async (trx: LegalTrx) => {
        if (failedStatementAbortsTransaction(this.ctx.dialect)) {
          const found = await trx.selectFrom('legal_consents').select('id').where('document_id', '=', doc.id).where('actor_type', '=', person.type).where('actor_id', '=', person.id).executeTakeFirst();
          if (found) return;
        }
        await trx.insertInto('legal_consents').values(row).execute();
        await this.ctx.audit.record(
          { action: 'legal.consent_accepted', actor: person, target: { type: 'legal_document', id: doc.id }, after: { slug: doc.slug, version: doc.version } },
          trx,
        );
        created = true;
      });
    } catch (err) {
      // A concurrent accept of the same version won the unique index: same answer as a replay.
      if (!isUniqueViolation(err)) throw err;
    }
    const stored = created ? row : await existing();
    if (!stored) throw conflict('legal_version_not_current', { params: { slug: input.slug, current: doc.version } });
    this.cache.remember(actorKey(person), [doc.id]);
    return { consent: toConsent(stored), created };
  }

  /**
   * Of `slugs`, those `person` has not satisfied (no acceptance of a satisfying version). Known
   * acceptances come from the cache; anything else is read from the database, in one query, and
   * what it finds is remembered.
   */
  async missing(person: Person, slugs: SlugState[]): Promise<SlugState[]> {
    if (!slugs.length) return [];
    const key = actorKey(person);
    const known = this.cache.knownAccepted(key);
    const unknown = known ? slugs.filter((s) => !s.satisfying.some((id) => known.has(id))) : slugs;
    if (!unknown.length) return [];
    const rows = await this.db
      .selectFrom('legal_consents')
      .select('document_id')
      .where('actor_type', '=', person.type)
      .where('actor_id', '=', person.id)
      .where('document_id', 'in', unknown.flatMap((s) => s.satisfying))
      .execute();
    const found = new Set(rows.map((r) => r.document_id));
    if (found.size) this.cache.remember(key, found);
    return unknown.filter((s) => !s.satisfying.some((id) => found.has(id)));
  }

  /** Every acceptance of one actor, oldest first (the privacy export and the history route). */
  async history(person: Person): Promise<Consent[]> {
    const rows = await this.db
      .selectFrom('legal_consents')
      .selectAll()
      .where('actor_type', '=', person.type)
      .where('actor_id', '=', person.id)
      .orderBy('accepted_at')
      .orderBy('id')
      .execute();
    return rows.map(toConsent);
  }

  /**
   * Moves a guest's acceptances to the user. Idempotent: only rows still owned by the guest move;
   * a version both accepted keeps the user's own record (the earlier proof for the account).
   */
  async mergeGuest(guestId: string, userId: string): Promise<number> {
    let moved = 0;
    await this.ctx.tx(async (trx: LegalTrx) => {
      const rows = await trx.selectFrom('legal_consents').selectAll().where('actor_type', '=', 'guest').where('actor_id', '=', guestId).execute();
      for (const r of rows) {
        const twin = await trx
          .selectFrom('legal_consents')
          .select('id')
          .where('document_id', '=', r.document_id)
          .where('actor_type', '=', 'user')
          .where('actor_id', '=', userId)
          .executeTakeFirst();
        if (twin) await trx.deleteFrom('legal_consents').where('id', '=', r.id).execute();
        else {
          await trx.updateTable('legal_consents').set({ actor_type: 'user', actor_id: userId }).where('id', '=', r.id).execute();
          moved++;
        }
      }
    });
    this.cache.forgetActors([`guest:${guestId}`]);
    return moved;
  }

  /** Expired guests: their acceptances go with them. */
  async forgetGuests(guestIds: string[]): Promise<void> {
    if (!guestIds.length) return;
    await this.db.deleteFrom('legal_consents').where('actor_type', '=', 'guest').where('actor_id', 'in', guestIds).execute();
    this.cache.forgetActors(guestIds.map((id) => `guest:${id}`));
  }

  /** A deleted account: keep the proof without IP and user agent, or erase it (`onUserDeleted`). */
  async forgetUser(userId: string): Promise<void> {
    const q = this.ctx.config.onUserDeleted === 'delete'
      ? this.db.deleteFrom('legal_consents').where('actor_type', '=', 'user').where('actor_id', '=', userId)
      : this.db.updateTable('legal_consents').set({ ip: null, user_agent: null }).where('actor_type', '=', 'user').where('actor_id', '=', userId);
    await q.execute();
    this.cache.forgetActors([`user:${userId}`]);
  }

  /** Accepted counts per version, by users and by guests. */
  async stats(slug?: string): Promise<Array<{ documentId: string; users: number; guests: number }>> {
    let q = this.db
      .selectFrom('legal_consents')
      .select((eb) => ['document_id', 'actor_type', eb.fn.countAll<string | number>().as('n')])
      .groupBy(['document_id', 'actor_type']);
    if (slug) q = q.where('slug', '=', slug);
    const rows = await q.execute();
    const out = new Map<string, { documentId: string; users: number; guests: number }>();
    for (const r of rows) {
      const e = out.get(r.document_id) ?? { documentId: r.document_id, users: 0, guests: 0 };
      if (r.actor_type === 'user') e.users = Number(r.n);
      else e.guests = Number(r.n);
      out.set(r.document_id, e);
    }
    return [...out.values()];
  }
}
