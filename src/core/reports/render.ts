import Handlebars from 'handlebars';
import PDFDocument from 'pdfkit';
import type { ReportData, ReportDefinition, ReportLocale } from './types.js';

const hb = Handlebars.create();

const DEFAULT_HTML = `<!doctype html>
<html lang="{{lang}}"><head><meta charset="utf-8"><title>{{title}}</title>
<style>body{font-family:Helvetica,Arial,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left}th{background:#f3f4f6}td.r,th.r{text-align:right}.meta{color:#666}</style>
</head><body>
<h1>{{title}}</h1>
<p class="meta">{{generatedLabel}}: {{generatedAt}}</p>
{{#if summary.length}}<ul>{{#each summary}}<li><strong>{{label}}</strong>: {{value}}</li>{{/each}}</ul>{{/if}}
<table><thead><tr>{{#each columns}}<th class="{{align}}">{{label}}</th>{{/each}}</tr></thead>
<tbody>{{#each rows}}<tr>{{#each this}}<td class="{{align}}">{{value}}</td>{{/each}}</tr>{{/each}}</tbody></table>
</body></html>`;
const defaultTemplate = hb.compile(DEFAULT_HTML, { strict: false });
const custom = new WeakMap<ReportDefinition, Partial<Record<ReportLocale, HandlebarsTemplateDelegate>>>();

/** What both templates see: labels in the locale, cells as text. */
function view(def: ReportDefinition, data: ReportData, locale: ReportLocale, now: Date) {
  const align = (i: number) => (data.columns[i].align === 'right' ? 'r' : '');
  return {
    lang: locale,
    title: def.title[locale],
    generatedLabel: locale === 'es' ? 'Generado' : 'Generated',
    generatedAt: now.toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
    summary: (data.summary ?? []).map((s) => ({ label: s.label[locale], value: String(s.value) })),
    columns: data.columns.map((c, i) => ({ label: c.label[locale], align: align(i) })),
    rows: data.rows.map((r) => data.columns.map((c, i) => ({ value: r[c.key] === null || r[c.key] === undefined ? '' : String(r[c.key]), align: align(i) }))),
  };
}

export function renderHtml(def: ReportDefinition, data: ReportData, locale: ReportLocale, now: Date): string {
  const source = def.template?.[locale];
  if (!source) return defaultTemplate(view(def, data, locale, now));
  let compiled = custom.get(def);
  if (!compiled) custom.set(def, (compiled = {}));
  compiled[locale] ??= hb.compile(source);
  return compiled[locale]!(view(def, data, locale, now));
}

/**
 * The PDF: title, generation time, summary, then the table across the page width, repeating its
 * header on every page. Helvetica from PDF's standard fonts, written in WinAnsiEncoding, which
 * holds every Spanish letter and sign (á é í ó ú ü ñ Ñ ¿ ¡ €); characters beyond it (emoji, CJK)
 * print as '?'.
 */
export function renderPdf(def: ReportDefinition, data: ReportData, locale: ReportLocale, now: Date): Promise<Buffer> {
  const v = view(def, data, locale, now);
  const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: v.title, Producer: 'Neptuno', Creator: 'Neptuno' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  doc.font('Helvetica-Bold').fontSize(18).text(v.title);
  doc.font('Helvetica').fontSize(9).fillColor('#666666').text(`${v.generatedLabel}: ${v.generatedAt}`).moveDown();
  doc.fillColor('#000000').fontSize(11);
  for (const s of v.summary) doc.font('Helvetica-Bold').text(`${s.label}: `, { continued: true }).font('Helvetica').text(s.value);
  if (v.summary.length) doc.moveDown();
  const n = Math.max(1, v.columns.length);
  const colWidth = width / n;
  const rowOf = (cells: Array<{ value: string; align: string }>, bold: boolean) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    const height = Math.max(...cells.map((c) => doc.heightOfString(c.value || ' ', { width: colWidth - 6 }))) + 6;
    if (doc.y + height > doc.page.height - doc.page.margins.bottom) {
      doc.addPage();
      if (!bold) rowOf(v.columns.map((c) => ({ value: c.label, align: c.align })), true);
    }
    const y = doc.y;
    cells.forEach((c, i) => doc.text(c.value, left + i * colWidth + 3, y + 3, { width: colWidth - 6, align: c.align === 'r' ? 'right' : 'left' }));
    doc.moveTo(left, y + height).lineTo(left + width, y + height).strokeColor('#dddddd').stroke();
    doc.x = left;
    doc.y = y + height;
  };
  rowOf(v.columns.map((c) => ({ value: c.label, align: c.align })), true);
  for (const r of v.rows) rowOf(r, false);
  doc.end();
  return done;
}
