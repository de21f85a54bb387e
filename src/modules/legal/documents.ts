import { sql } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import { failedStatementAbortsTransaction, typedDb } from '../../core/db/dialect.js';
import { isUniqueViolation } from '../../core/db/database.js';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import { parseDateTime } from '../../core/http/datetime.js';
import { conflict, HttpProblem } from '../../core/http/problem.js';
import { newId } from '../../core/ids.js';
import type { Actor } from '../../core/http/access.js';
import type { LegalConfig } from './config.js';
import { toAdminDocument, toHead, type AdminDocument, type DocumentHead, type Texts } from './model.js';
import type { LegalDb, LegalDocumentRow, LegalTables, LegalTrx } from './schema.js';

export interface PublishInput {
  slug: string;
  version: string;
  title: Texts;
  content?: Texts;
  url?: string;
  required: boolean;
  /** Default: now. A later time schedules the version; it becomes current then. */
  effectiveAt?: string;
}

const HEAD_COLUMNS = ['id', 'slug', 'version', 'title', 'url', 'required', 'effective_at', 'published_at'] as const;

/** Published versions: append-only (a correction is a new version). */
export class DocumentStore {
  constructor(
    private readonly ctx: ModuleContext<LegalConfig>,
    /** Runs after a publish commits: drops caches here and on every replica. */
    private readonly onCommit: (generation: number) => Promise<void>,
  ) {}

  private get db(): LegalDb {
    return typedDb<LegalTables>(this.ctx);
  }

  async publish(input: PublishInput, actor: Actor | null): Promise<DocumentHead> {
    const errors = [];
    if ((input.content === undefined) === (input.url === undefined)) {
      errors.push({ pointer: '/body/content', code: 'one_of', detail: 'give either content ({ es, en }) or url' });
    }
    const effective = input.effectiveAt === undefined ? new Date() : parseDateTime(input.effectiveAt);
    if (!effective) errors.push({ pointer: '/body/effectiveAt', code: 'format', detail: 'an RFC 3339 date-time' });
    if (errors.length) throw new HttpProblem(400, 'validation_failed', { errors });
    const now = new Date().toISOString();
    const row: LegalDocumentRow = {
      id: newId(),
      slug: input.slug,
      version: input.version,
      title: JSON.stringify({ es: input.title.es, en: input.title.en }),
      content: input.content ? JSON.stringify({ es: input.content.es, en: input.content.en }) : null,
      url: input.url ?? null,
      required: input.required ? 1 : 0,
      effective_at: effective!.toISOString(),
      published_at: now,
      published_by: actor ? `${actor.type}:${actor.id}` : null,
    };
    const taken = () => conflict('legal_version_exists', { params: { slug: input.slug, version: input.version } });
    try {
      await this.ctx.tx(async (trx: LegalTrx) => {
        if (failedStatementAbortsTransaction(this.ctx.dialect)) {
          const exists = await trx.selectFrom('legal_documents').select('id').where('slug', '=', row.slug).where('version', '=', row.version).executeTakeFirst();
          if (exists) throw taken();
        }
        await trx.insertInto('legal_documents').values(row).execute();
        await this.ctx.audit.record(
          { action: 'legal.document_published', target: { type: 'legal_document', id: row.id }, after: { slug: row.slug, version: row.version, required: input.required, effectiveAt: row.effective_at } },
          trx,
        );
        const generation = await this.bump(trx);
        trx.afterCommit(() => this.onCommit(generation));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw taken();
      throw err;
    }
    return toHead(row);
  }

  /** Every version's head (no texts): a handful of rows, read when the caches are rebuilt. */
  async heads(): Promise<DocumentHead[]> {
    const rows = await this.db.selectFrom('legal_documents').select([...HEAD_COLUMNS]).execute();
    return rows.map(toHead);
  }

  async get(id: string, currentIds: Set<string>): Promise<AdminDocument | null> {
    const row = await this.db.selectFrom('legal_documents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAdminDocument(row, currentIds.has(row.id)) : null;
  }

  /** Texts of one version. */
  async content(id: string): Promise<Texts | null> {
    const row = await this.db.selectFrom('legal_documents').select('content').where('id', '=', id).executeTakeFirst();
    return row?.content ? (JSON.parse(row.content) as Texts) : null;
  }

  /** Newest published first. */
  async list(q: { limit?: number; cursor?: string; slug?: string }, currentIds: Set<string>): Promise<PageResult<AdminDocument>> {
    let query = this.db.selectFrom('legal_documents').selectAll();
    if (q.slug) query = query.where('slug', '=', q.slug);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['id'], key: (r) => [r.id] });
    return { data: page.data.map((r) => toAdminDocument(r, currentIds.has(r.id))), nextCursor: page.nextCursor };
  }

  async generation(): Promise<number> {
    const row = await this.db.selectFrom('legal_state').select('generation').where('name', '=', 'documents').executeTakeFirst();
    return Number(row?.generation ?? 0);
  }

  private async bump(trx: LegalTrx): Promise<number> {
    await trx
      .updateTable('legal_state')
      .set({ generation: sql`generation + 1`, updated_at: new Date().toISOString() })
      .where('name', '=', 'documents')
      .execute();
    const row = await trx.selectFrom('legal_state').select('generation').where('name', '=', 'documents').executeTakeFirstOrThrow();
    return Number(row.generation);
  }
}
