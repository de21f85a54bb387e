import type { ModuleContext } from '../module.js';

export type ReportLocale = 'es' | 'en';

/** What a report's query answers: a table (columns with es/en labels) and optional summary lines. */
export interface ReportData {
  columns: Array<{ key: string; label: Record<ReportLocale, string>; align?: 'left' | 'right' }>;
  rows: Array<Record<string, string | number | null>>;
  /** Figures shown above the table (`Total facturado: 1.234.000 COP`). */
  summary?: Array<{ label: Record<ReportLocale, string>; value: string | number }>;
}

export interface ReportQueryContext {
  ctx: ModuleContext;
  /** The tenant the report is about (the caller's, or the schedule's); null in single-tenant apps. */
  tenantId: string | null;
  locale: ReportLocale;
  /** When it is generated (a schedule's run time). */
  now: Date;
}

/**
 * A report a module offers (`reports: [defineReport({...})]` in its manifest, docs/reports.md):
 * a query plus a template. Neptuno renders it as HTML and PDF, on demand
 * (POST /v1/reports/<module>.<name>) or on a schedule per tenant, stored and emailed.
 */
export interface ReportDefinition {
  name: string;
  title: Record<ReportLocale, string>;
  /** Reads the data; runs outside any transaction, scoped by `tenantId`. Keep it to one page of output (≤ 5,000 rows). */
  query: (q: ReportQueryContext) => Promise<ReportData>;
  /**
   * Handlebars HTML per locale replacing the default body (title, summary, table). It gets
   * `{ title, generatedAt, summary: [{label, value}], columns: [{label}], rows: [[cell…]] }`;
   * values are escaped. The PDF always uses the default layout.
   */
  template?: Partial<Record<ReportLocale, string>>;
}

export function defineReport(def: ReportDefinition): ReportDefinition {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) throw new Error(`Invalid report name "${def.name}": use lowercase letters, digits and dashes`);
  return def;
}
