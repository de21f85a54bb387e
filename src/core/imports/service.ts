import type { Kysely } from 'kysely';
import type { Actor } from '../http/access.js';
import { notFound, problem } from '../http/problem.js';
import { newId } from '../ids.js';
import { paginate, type PageResult } from '../db/paginate.js';
import { toIso, toIsoOrNull } from '../db/dialect.js';
import { scopeToTenant } from '../db/tenant.js';
import type { KernelContext, ModuleContext } from '../module.js';
import type { Locale } from './convert.js';
import { dataFiles, type DataFiles } from './files.js';
import type { ImportTables, ImportsTable } from './migrations.js';
import { bufferStream } from './reader.js';
import { scanRows, sha256, sniffFormat, type ImportLimits, type ScannedRow } from './scan.js';
import type { AnyImport } from './types.js';

export const IMPORT_JOB = 'core.imports-run';

export interface ImportEntity {
  entity: string;
  def: AnyImport;
  ctx: ModuleContext;
}

export interface ImportView {
  id: string;
  entity: string;
  status: string;
  filename: string;
  format: Record<string, string>;
  totalRows: number;
  errorRows: number;
  processedRows: number;
  createdRows: number;
  skippedRows: number;
  /** processed / total, 0-100. */
  percent: number;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

const view = (r: ImportsTable): ImportView => ({
  id: r.id,
  entity: r.entity,
  status: r.status,
  filename: r.filename,
  format: JSON.parse(r.format),
  totalRows: r.total_rows,
  errorRows: r.error_rows,
  processedRows: r.processed_rows,
  createdRows: r.created_rows,
  skippedRows: r.skipped_rows,
  percent: r.total_rows ? Math.floor((100 * r.processed_rows) / r.total_rows) : 100,
  error: r.error,
  createdAt: toIso(r.created_at),
  updatedAt: toIso(r.updated_at),
  finishedAt: toIsoOrNull(r.finished_at),
});

/** The kernel's import facility (docs/imports.md): upload and validate, preview, run as a job. */
export class Imports {
  readonly byName = new Map<string, ImportEntity>();
  readonly files: DataFiles;
  readonly db: Kysely<ImportTables>;

  constructor(
    readonly ctx: KernelContext,
    readonly limits: ImportLimits,
    entities: ImportEntity[],
  ) {
    for (const e of entities) this.byName.set(e.entity, e);
    this.files = dataFiles(ctx);
    this.db = ctx.db as unknown as Kysely<ImportTables>;
  }

  entity(name: string): ImportEntity {
    const e = this.byName.get(name);
    // A module switched off at run time takes its imports with it.
    if (!e || this.ctx.settings.get<boolean>(`modules.${e.ctx.name}.enabled`) === false) throw notFound('import_entity_not_found', { params: { entity: name.slice(0, 100) } });
    return e;
  }

  /**
   * Stores the file, validates every row and records the errors: nothing of the entity is
   * written yet. Status `validated` (ready to start) or `invalid` (see the error report).
   */
  async upload(input: { entity: string; content: Buffer; filename: string; contentType: string; actor: Actor; locale: Locale }) {
    const { def, ctx } = this.entity(input.entity);
    const format = sniffFormat(input.content, this.limits);
    const scan = await scanRows(def, bufferStream(input.content), format, this.limits, input.locale, { ctx, tenantId: input.actor.tenantId, locale: input.locale });
    const fileId = await this.files.save(input.content, {
      filename: input.filename,
      contentType: input.contentType,
      purpose: 'import',
      ownerId: input.actor.type === 'user' ? input.actor.id : null,
      tenantId: input.actor.tenantId,
    });
    const id = newId();
    const now = new Date().toISOString();
    const row: ImportsTable = {
      id,
      entity: input.entity,
      status: scan.errorRows ? 'invalid' : 'validated',
      tenant_id: input.actor.tenantId,
      actor: JSON.stringify(input.actor),
      locale: input.locale,
      filename: input.filename,
      file_id: fileId,
      format: JSON.stringify(format),
      mapping: JSON.stringify({ header: scan.header, ...scan.mapping }),
      sha256: sha256(input.content),
      total_rows: scan.total,
      error_rows: scan.errorRows,
      processed_rows: 0,
      created_rows: 0,
      skipped_rows: 0,
      error: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    };
    await this.ctx.tx(async (trx) => {
      const t = trx as unknown as Kysely<ImportTables>;
      await t.insertInto('neptuno_imports').values(row).execute();
      for (let i = 0; i < scan.errors.length; i += 200) {
        const chunk = scan.errors.slice(i, i + 200).map((e) => ({ import_id: id, line: e.line, field: e.field, code: e.code, message: e.message.slice(0, 500) }));
        await t.insertInto('neptuno_import_errors').values(chunk).execute();
      }
    });
    return {
      ...view(row),
      mapping: Object.entries(scan.mapping.fields).map(([field, index]) => ({
        field,
        column: index === null ? null : scan.header[index],
        required: ((def.row.required as string[] | undefined) ?? []).includes(field),
      })),
      ignoredColumns: scan.mapping.ignored,
      preview: scan.preview.map((p: ScannedRow) => ({ line: p.line, values: p.row, errors: p.errors })),
    };
  }

  private async row(id: string, actor: Actor): Promise<ImportsTable> {
    const r = await scopeToTenant(this.db.selectFrom('neptuno_imports').selectAll().where('id', '=', id), actor).executeTakeFirst();
    if (!r) throw notFound('import_not_found');
    return r;
  }

  async get(id: string, actor: Actor): Promise<ImportView> {
    return view(await this.row(id, actor));
  }

  async list(actor: Actor, q: { limit?: number; cursor?: string; entity?: string }): Promise<PageResult<ImportView>> {
    let query = scopeToTenant(this.db.selectFrom('neptuno_imports').selectAll(), actor);
    if (q.entity) query = query.where('entity', '=', q.entity);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['created_at', 'id'], key: (r) => [toIso(r.created_at), r.id] });
    return { data: page.data.map(view), nextCursor: page.nextCursor };
  }

  async errors(id: string, actor: Actor, q: { limit?: number; cursor?: string }) {
    await this.row(id, actor);
    const query = this.db.selectFrom('neptuno_import_errors').select(['id', 'line', 'field', 'code', 'message']).where('import_id', '=', id);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['id'], direction: 'asc', key: (r) => [Number(r.id)] });
    return { data: page.data.map(({ line, field, code, message }) => ({ line, field, code, message })), nextCursor: page.nextCursor };
  }

  /** Every kept error, in pages of 500 (the CSV report streams them). */
  async *allErrors(id: string, actor: Actor) {
    await this.row(id, actor);
    let after = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('neptuno_import_errors')
        .select(['id', 'line', 'field', 'code', 'message'])
        .where('import_id', '=', id)
        .where('id', '>', after)
        .orderBy('id')
        .limit(500)
        .execute();
      if (!rows.length) return;
      yield* rows;
      after = Number(rows[rows.length - 1].id);
    }
  }

  /** Queues the import (validated, or failed: a new run resumes, rows already written are skipped by key). */
  async start(id: string, actor: Actor): Promise<ImportView> {
    const r = await this.row(id, actor);
    if (r.status === 'invalid') throw problem(409, 'import_has_errors', { params: { rows: r.error_rows } });
    if (r.status !== 'validated' && r.status !== 'failed') return view(r);
    await this.ctx.tx(async (trx) => {
      const t = trx as unknown as Kysely<ImportTables>;
      const changed = await t
        .updateTable('neptuno_imports')
        .set({ status: 'queued', error: null, updated_at: new Date().toISOString() })
        .where('id', '=', id)
        .where('status', '=', r.status)
        .executeTakeFirst();
      // Two starts at once: one queues it, the other just answers the state.
      if (Number(changed.numUpdatedRows) === 1) trx.enqueue(IMPORT_JOB, { importId: id }, { attempts: 3 });
    });
    return this.get(id, actor);
  }
}
