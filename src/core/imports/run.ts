import type { Kysely } from 'kysely';
import type { Actor } from '../http/access.js';
import { HttpProblem } from '../http/problem.js';
import type { JobContext } from '../drivers/queue/contract.js';
import type { TxHandle } from '../outbox/outbox.js';
import type { Locale } from './convert.js';
import type { ImportTables, ImportsTable } from './migrations.js';
import type { SheetFormat } from './reader.js';
import { scanRows, type ScannedRow } from './scan.js';
import type { Imports } from './service.js';

const ATTEMPTS = 3;

/**
 * The import job: reads the stored file again, and writes its rows in batches, each batch in one
 * transaction with its keys in `neptuno_import_keys` and the import's counters. A row whose key
 * is there already (an earlier import, or this one before a crash) is skipped, so a retried job,
 * a resumed import and a re-uploaded file create nothing twice. Progress goes to the status row
 * and, after each commit, to the realtime `admin` channel.
 */
export async function runImport(imports: Imports, importId: string, job: JobContext): Promise<void> {
  const db = imports.db;
  const r = await db.selectFrom('neptuno_imports').selectAll().where('id', '=', importId).executeTakeFirst();
  if (!r || r.status === 'completed' || r.status === 'invalid') return;
  const { def, ctx } = imports.entity(r.entity);
  const actor = JSON.parse(r.actor) as Actor;
  const scope = r.tenant_id ?? '';
  await db.updateTable('neptuno_imports').set({ status: 'running', updated_at: new Date().toISOString() }).where('id', '=', importId).execute();
  const publish = (row: Pick<ImportsTable, 'status' | 'processed_rows' | 'total_rows' | 'created_rows' | 'skipped_rows'>) =>
    ctx.realtime
      .publish('admin', {
        event: 'import.progress',
        id: importId,
        entity: r.entity,
        status: row.status,
        percent: row.total_rows ? Math.floor((100 * row.processed_rows) / row.total_rows) : 100,
        processed: row.processed_rows,
        total: row.total_rows,
        created: row.created_rows,
        skipped: row.skipped_rows,
      })
      .catch((err: unknown) => ctx.log.warn({ err }, 'import progress not published'));

  const counters = { processed_rows: 0, created_rows: 0, skipped_rows: 0 };
  let batch: Array<{ row: ScannedRow; key: string }> = [];
  const size = def.batchSize ?? 200;
  const flush = async () => {
    if (!batch.length) return;
    const items = batch;
    batch = [];
    await ctx.tx(async (trx: TxHandle) => {
      const t = trx as unknown as Kysely<ImportTables>;
      const keys = items.map((i) => i.key);
      const seen = new Set(
        (await t.selectFrom('neptuno_import_keys').select('key').where('entity', '=', r.entity).where('scope', '=', scope).where('key', 'in', keys).execute()).map((k) => k.key),
      );
      const fresh = items.filter((i) => !seen.has(i.key));
      let created = 0;
      if (fresh.length) {
        const now = new Date().toISOString();
        // Keys first: a concurrent import of the same rows fails here on the primary key and retries.
        await t.insertInto('neptuno_import_keys').values(fresh.map((i) => ({ entity: r.entity, scope, key: i.key, import_id: importId, created_at: now }))).execute();
        const n = await def.write(
          fresh.map((i) => i.row.row as never),
          trx,
          { importId, actor, tenantId: r.tenant_id, ctx, lines: fresh.map((i) => i.row.line) },
        );
        created = typeof n === 'number' ? n : fresh.length;
      }
      const next = {
        processed_rows: counters.processed_rows + items.length,
        created_rows: counters.created_rows + created,
        skipped_rows: counters.skipped_rows + items.length - fresh.length,
      };
      await t.updateTable('neptuno_imports').set({ ...next, updated_at: new Date().toISOString() }).where('id', '=', importId).execute();
      trx.afterCommit(() => {
        Object.assign(counters, next);
        void publish({ status: 'running', total_rows: r.total_rows, ...next });
      });
    });
  };

  try {
    const scan = await scanRows(def, await imports.files.open(r.file_id), JSON.parse(r.format) as SheetFormat, { ...imports.limits, maxErrorsKept: 1 }, r.locale as Locale, { ctx, tenantId: r.tenant_id, locale: r.locale as Locale }, async (row, key) => {
      batch.push({ row, key });
      if (batch.length >= size) await flush();
    });
    // The stored file changed under us, or the entity's rules did: write nothing more.
    if (scan.errorRows) throw new HttpProblem(422, 'import_has_errors', { params: { rows: scan.errorRows } });
    await flush();
  } catch (err) {
    const final = HttpProblem.is(err) || job.attempt >= ATTEMPTS;
    if (!final) throw err;
    const message = HttpProblem.is(err) ? `${err.code}: ${err.message}` : 'internal_error';
    ctx.log.warn({ err, importId }, 'import failed');
    await db.updateTable('neptuno_imports').set({ status: 'failed', error: message.slice(0, 1000), updated_at: new Date().toISOString() }).where('id', '=', importId).execute();
    void publish({ status: 'failed', total_rows: r.total_rows, ...counters });
    return;
  }
  const now = new Date().toISOString();
  await db.updateTable('neptuno_imports').set({ status: 'completed', finished_at: now, updated_at: now }).where('id', '=', importId).execute();
  await publish({ status: 'completed', total_rows: r.total_rows, ...counters });
}

export const IMPORT_ATTEMPTS = ATTEMPTS;
