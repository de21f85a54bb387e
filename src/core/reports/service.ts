import type { Kysely } from 'kysely';
import type { Actor } from '../http/access.js';
import { badRequest, notFound } from '../http/problem.js';
import { newId } from '../ids.js';
import { toIso, toIsoOrNull } from '../db/dialect.js';
import { scopeToTenant } from '../db/tenant.js';
import type { KernelContext, ModuleContext } from '../module.js';
import { dataFiles, type DataFiles } from '../imports/files.js';
import { renderHtml, renderPdf } from './render.js';
import { nextRun, type ReportSchedulesTable, type ReportTables } from './schedules.js';
import type { ReportDefinition, ReportLocale } from './types.js';

export const REPORT_JOB = 'core.reports-send';

export interface ScheduleInput {
  report: string;
  schedule: string;
  recipients: string[];
  locale?: ReportLocale;
}

const scheduleView = (r: ReportSchedulesTable) => ({
  id: r.id,
  report: r.report,
  tenantId: r.tenant_id,
  schedule: r.schedule,
  recipients: JSON.parse(r.recipients) as string[],
  locale: r.locale,
  nextRunAt: toIso(r.next_run_at),
  lastRunAt: toIsoOrNull(r.last_run_at),
  lastFileId: r.last_file_id,
});

/** Reports (docs/reports.md): rendering on demand, schedules per tenant, delivery by email. */
export class Reports {
  readonly byName = new Map<string, { def: ReportDefinition; ctx: ModuleContext }>();
  private readonly db: Kysely<ReportTables>;
  readonly files: DataFiles;

  constructor(
    private readonly ctx: KernelContext,
    entries: Array<{ name: string; def: ReportDefinition; ctx: ModuleContext }>,
  ) {
    for (const e of entries) this.byName.set(e.name, e);
    this.db = ctx.db as unknown as Kysely<ReportTables>;
    this.files = dataFiles(ctx);
  }

  report(name: string) {
    const r = this.byName.get(name);
    if (!r || this.ctx.settings.get<boolean>(`modules.${r.ctx.name}.enabled`) === false) throw notFound('report_not_found', { params: { name: name.slice(0, 100) } });
    return r;
  }

  async render(name: string, opts: { tenantId: string | null; locale: ReportLocale; format: 'pdf' | 'html'; now?: Date }) {
    const { def, ctx } = this.report(name);
    const now = opts.now ?? new Date();
    const data = await def.query({ ctx, tenantId: opts.tenantId, locale: opts.locale, now });
    if (opts.format === 'html') return { title: def.title[opts.locale], body: Buffer.from(renderHtml(def, data, opts.locale, now)), contentType: 'text/html; charset=utf-8' };
    return { title: def.title[opts.locale], body: await renderPdf(def, data, opts.locale, now), contentType: 'application/pdf' };
  }

  async createSchedule(input: ScheduleInput, actor: Actor) {
    this.report(input.report);
    const next = nextRun(input.schedule, new Date());
    if (!next) throw badRequest('report_schedule_invalid', { params: { schedule: input.schedule.slice(0, 100) } });
    const row: ReportSchedulesTable = {
      id: newId(),
      report: input.report,
      tenant_id: actor.tenantId,
      schedule: input.schedule,
      recipients: JSON.stringify([...new Set(input.recipients.map((r) => r.trim().toLowerCase()))]),
      locale: input.locale ?? this.ctx.appConfig.i18n.defaultLocale,
      next_run_at: next.toISOString(),
      last_run_at: null,
      last_file_id: null,
      created_by: actor.id,
      created_at: new Date().toISOString(),
    };
    await this.db.insertInto('neptuno_report_schedules').values(row).execute();
    return scheduleView(row);
  }

  async listSchedules(actor: Actor) {
    const rows = await scopeToTenant(this.db.selectFrom('neptuno_report_schedules').selectAll(), actor).orderBy('created_at').orderBy('id').limit(500).execute();
    return rows.map(scheduleView);
  }

  async deleteSchedule(id: string, actor: Actor) {
    const res = await scopeToTenant(this.db.deleteFrom('neptuno_report_schedules').where('id', '=', id), actor).executeTakeFirst();
    if (!Number(res.numDeletedRows)) throw notFound('report_schedule_not_found');
  }

  /**
   * The per-minute cron: each due schedule moves to its next run (a compare-and-set on
   * next_run_at, so two replicas never both take it) and its send job is queued in the same
   * transaction, keyed by schedule and run time (a run is sent once).
   */
  async dispatchDue(now = new Date()): Promise<number> {
    const due = await this.db.selectFrom('neptuno_report_schedules').selectAll().where('next_run_at', '<=', now.toISOString() as never).limit(100).execute();
    let queued = 0;
    for (const s of due) {
      const runAt = toIso(s.next_run_at);
      const next = nextRun(s.schedule, now) ?? new Date('9999-01-01T00:00:00Z');
      await this.ctx.tx(async (trx) => {
        const t = trx as unknown as Kysely<ReportTables>;
        const moved = await t
          .updateTable('neptuno_report_schedules')
          .set({ next_run_at: next.toISOString() })
          .where('id', '=', s.id)
          .where('next_run_at', '=', s.next_run_at)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return;
        trx.enqueue(REPORT_JOB, { scheduleId: s.id, runAt }, { jobId: `report:${s.id}:${runAt}`, attempts: 5 });
        queued++;
      });
    }
    return queued;
  }

  /** The send job: render the PDF, store it (purpose `report`), email it to every recipient. */
  async send(scheduleId: string, runAt: string): Promise<void> {
    const s = await this.db.selectFrom('neptuno_report_schedules').selectAll().where('id', '=', scheduleId).executeTakeFirst();
    if (!s) return; // deleted since
    const locale = (s.locale === 'en' ? 'en' : 'es') as ReportLocale;
    const doc = await this.render(s.report, { tenantId: s.tenant_id, locale, format: 'pdf', now: new Date(runAt) });
    const day = runAt.slice(0, 10);
    const filename = `${s.report.replace(/[^a-z0-9-]+/gi, '-')}-${day}.pdf`;
    const fileId = await this.files.save(doc.body, { filename, contentType: 'application/pdf', purpose: 'report', ownerId: null, tenantId: s.tenant_id });
    const content = doc.body.toString('base64');
    await this.ctx.tx(async (trx) => {
      const t = trx as unknown as Kysely<ReportTables>;
      for (const to of JSON.parse(s.recipients) as string[]) {
        await this.ctx.mail.send({
          to,
          subject: `${doc.title} — ${day}`,
          html: locale === 'es' ? `<p>Adjunto el informe «${doc.title}» del ${day}.</p>` : `<p>Attached: the report “${doc.title}” of ${day}.</p>`,
          attachments: [{ filename, contentType: 'application/pdf', content }],
        });
      }
      await t.updateTable('neptuno_report_schedules').set({ last_run_at: runAt, last_file_id: fileId }).where('id', '=', scheduleId).execute();
    });
  }
}
