import { sql } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import { failedStatementAbortsTransaction, typedDb } from '../../core/db/dialect.js';
import { isUniqueViolation } from '../../core/db/database.js';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import { parseDateTime } from '../../core/http/datetime.js';
import { conflict, HttpProblem, notFound, type FieldError } from '../../core/http/problem.js';
import { newId } from '../../core/ids.js';
import type { SeoConfig } from './config.js';
import { toAdminPage, type AdminPage, type Alternate } from './model.js';
import { isPathOrUrl, normalizePath } from './paths.js';
import type { ChangeFreq, SeoDb, SeoPageRow, SeoTables, SeoTrx } from './schema.js';

export interface PageInput {
  path?: string;
  locale?: string;
  title?: string | null;
  description?: string | null;
  canonicalUrl?: string | null;
  image?: string | null;
  openGraph?: Record<string, string> | null;
  twitter?: Record<string, string> | null;
  alternates?: Alternate[];
  noindex?: boolean;
  priority?: number | null;
  changefreq?: ChangeFreq | null;
  lastmod?: string | null;
}

export interface ListPagesQuery {
  limit?: number;
  cursor?: string;
  locale?: string;
  /** Paths starting with this. */
  pathPrefix?: string;
  noindex?: boolean;
}

/** Admin CRUD of page metadata; every write bumps the change counter in its own transaction. */
export class PageStore {
  constructor(
    private readonly ctx: ModuleContext<SeoConfig>,
    private readonly defaultLocale: string,
    /** Runs after a write commits (drops caches here and on every replica). */
    private readonly onCommit: (generation: number) => Promise<void>,
  ) {}

  private get db(): SeoDb {
    return typedDb<SeoTables>(this.ctx);
  }

  async create(input: PageInput & { path: string }): Promise<AdminPage> {
    const now = new Date().toISOString();
    const fields = this.check(input);
    const row: SeoPageRow = {
      id: newId(),
      path: fields.path!,
      locale: input.locale ?? this.defaultLocale,
      title: null,
      description: null,
      canonical_url: null,
      image: null,
      open_graph: null,
      twitter: null,
      alternates: null,
      noindex: 0,
      priority: null,
      changefreq: null,
      lastmod: null,
      created_at: now,
      updated_at: now,
      ...fields,
    };
    await this.write(async (trx) => {
      await this.refuseTaken(trx, row.path, row.locale, null);
      await trx.insertInto('seo_pages').values(row).execute();
      await this.ctx.audit.record({ action: 'seo.page_created', target: { type: 'seo_page', id: row.id }, after: { path: row.path, locale: row.locale } }, trx);
    }, row);
    return toAdminPage(row);
  }

  async update(id: string, input: PageInput): Promise<AdminPage> {
    const fields = this.check(input);
    let updated: SeoPageRow | undefined;
    await this.write(async (trx) => {
      const current = await trx.selectFrom('seo_pages').selectAll().where('id', '=', id).executeTakeFirst();
      if (!current) throw notFound('seo_page_not_found');
      const next = { ...current, ...fields, locale: input.locale ?? current.locale, updated_at: new Date().toISOString() };
      if (next.path !== current.path || next.locale !== current.locale) await this.refuseTaken(trx, next.path, next.locale, id);
      await trx.updateTable('seo_pages').set(next).where('id', '=', id).execute();
      await this.ctx.audit.record(
        { action: 'seo.page_updated', target: { type: 'seo_page', id }, before: { path: current.path, locale: current.locale }, after: { path: next.path, locale: next.locale, fields: Object.keys(input) } },
        trx,
      );
      updated = next;
    }, { path: fields.path ?? '', locale: input.locale ?? '' });
    return toAdminPage(updated!);
  }

  async remove(id: string): Promise<void> {
    await this.write(async (trx) => {
      const res = await trx.deleteFrom('seo_pages').where('id', '=', id).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw notFound('seo_page_not_found');
      await this.ctx.audit.record({ action: 'seo.page_deleted', target: { type: 'seo_page', id } }, trx);
    }, { path: '', locale: '' });
  }

  async get(id: string): Promise<AdminPage | null> {
    const row = await this.db.selectFrom('seo_pages').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAdminPage(row) : null;
  }

  /** Every locale's row for a normalized path. */
  async byPath(path: string): Promise<AdminPage[]> {
    const rows = await this.db.selectFrom('seo_pages').selectAll().where('path', '=', path).execute();
    return rows.map(toAdminPage);
  }

  /** By path, ordered by path then id (ids sort by creation). */
  async list(q: ListPagesQuery): Promise<PageResult<AdminPage>> {
    let query = this.db.selectFrom('seo_pages').selectAll();
    if (q.locale) query = query.where('locale', '=', q.locale);
    if (q.noindex !== undefined) query = query.where('noindex', '=', q.noindex ? 1 : 0);
    if (q.pathPrefix) {
      const prefix = q.pathPrefix.replace(/[%_\\]/g, (c) => `\\${c}`);
      query = query.where(sql<boolean>`path like ${prefix + '%'} escape '\\'`);
    }
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['path', 'id'], direction: 'asc', key: (r) => [r.path, r.id] });
    return { data: page.data.map(toAdminPage), nextCursor: page.nextCursor };
  }

  /** Reads the change counter (replicas compare it with theirs). */
  async generation(): Promise<number> {
    const row = await this.db.selectFrom('seo_state').select('generation').where('name', '=', 'pages').executeTakeFirst();
    return Number(row?.generation ?? 0);
  }

  /** Bumps the counter in `trx` and returns the new value. */
  async bump(trx: SeoTrx): Promise<number> {
    await trx
      .updateTable('seo_state')
      .set({ generation: sql`generation + 1`, updated_at: new Date().toISOString() })
      .where('name', '=', 'pages')
      .execute();
    const row = await trx.selectFrom('seo_state').select('generation').where('name', '=', 'pages').executeTakeFirstOrThrow();
    return Number(row.generation);
  }

  /** Runs a write and the counter bump in one transaction; a unique clash answers 409. */
  private async write(fn: (trx: SeoTrx) => Promise<void>, key: { path: string; locale: string }): Promise<void> {
    try {
      await this.ctx.tx(async (trx: SeoTrx) => {
        await fn(trx);
        const generation = await this.bump(trx);
        trx.afterCommit(() => this.onCommit(generation));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('seo_page_exists', { params: key });
      throw err;
    }
  }

  private async refuseTaken(trx: SeoTrx, path: string, locale: string, exceptId: string | null): Promise<void> {
    // PostgreSQL aborts the transaction on a unique violation: look first (the index still decides).
    if (!failedStatementAbortsTransaction(this.ctx.dialect)) return;
    let q = trx.selectFrom('seo_pages').select('id').where('path', '=', path).where('locale', '=', locale);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) throw conflict('seo_page_exists', { params: { path, locale } });
  }

  /** Field rules the schema cannot say; answers 400 with every bad field at once. */
  private check(input: PageInput): Partial<SeoPageRow> {
    const errors: FieldError[] = [];
    const out: Partial<SeoPageRow> = {};
    if (input.path !== undefined) {
      const path = normalizePath(input.path);
      if (path === null || path.length > 1000) errors.push({ pointer: '/body/path', code: 'path', detail: 'a path starting with a single /' });
      else out.path = path;
    }
    const href = (pointer: string, value: string | null | undefined) => {
      if (value && !isPathOrUrl(value)) errors.push({ pointer, code: 'url', detail: 'a path or an absolute http(s) URL' });
    };
    href('/body/canonicalUrl', input.canonicalUrl);
    href('/body/image', input.image);
    href('/body/openGraph/image', input.openGraph?.image);
    href('/body/twitter/image', input.twitter?.image);
    input.alternates?.forEach((a, i) => href(`/body/alternates/${i}/href`, a.href));
    const langs = new Set<string>();
    input.alternates?.forEach((a, i) => {
      if (langs.has(a.hreflang)) errors.push({ pointer: `/body/alternates/${i}/hreflang`, code: 'duplicate', detail: 'one alternate per hreflang' });
      langs.add(a.hreflang);
    });
    if (input.lastmod && !parseDateTime(input.lastmod)) errors.push({ pointer: '/body/lastmod', code: 'format', detail: 'an RFC 3339 date-time' });
    if (errors.length) throw new HttpProblem(400, 'validation_failed', { errors });
    if (input.title !== undefined) out.title = input.title;
    if (input.description !== undefined) out.description = input.description;
    if (input.canonicalUrl !== undefined) out.canonical_url = input.canonicalUrl;
    if (input.image !== undefined) out.image = input.image;
    if (input.openGraph !== undefined) out.open_graph = input.openGraph ? JSON.stringify(input.openGraph) : null;
    if (input.twitter !== undefined) out.twitter = input.twitter ? JSON.stringify(input.twitter) : null;
    if (input.alternates !== undefined) out.alternates = input.alternates.length ? JSON.stringify(input.alternates) : null;
    if (input.noindex !== undefined) out.noindex = input.noindex ? 1 : 0;
    if (input.priority !== undefined) out.priority = input.priority;
    if (input.changefreq !== undefined) out.changefreq = input.changefreq;
    if (input.lastmod !== undefined) out.lastmod = input.lastmod ? parseDateTime(input.lastmod)!.toISOString() : null;
    return out;
  }
}
