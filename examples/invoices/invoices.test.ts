import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, runCron, targets, waitFor, type TestApp } from '../../src/testing/index.js';
import { startTestSmtp, type TestSmtp } from '../../src/testing/smtp.js';
import { latin1Csv, runToEnd, upload, xlsx, XLSX_TYPE } from '../../src/core/imports/testing.js';
import { pdfText } from '../../src/core/reports/pdf-text.js';
import invoices, { cop } from './module.js';

const TOKEN = 'admin-token-for-invoices-example-0123456789';
const admin = { authorization: `Bearer ${TOKEN}` };

/** The attachment of a raw MIME message with this content type, decoded. */
function attachment(raw: string, type: string): { filename: string; content: Buffer } | null {
  for (const part of raw.split(/\r\n--[^\r\n]+\r\n/)) {
    const split = part.indexOf('\r\n\r\n');
    const head = part.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
    if (!new RegExp(`^content-type: ${type}`, 'im').test(head)) continue;
    const filename = /filename="?([^";\r\n]+)"?/i.exec(head)?.[1] ?? '';
    return { filename, content: Buffer.from(part.slice(split + 4).split(/\r\n--/)[0].replace(/\s+/g, ''), 'base64') };
  }
  return null;
}

describe.each(targets)('examples/invoices on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({ target, modules: [invoices], workers: true, config: { admin: { token: TOKEN }, mail: { url: smtp.url, attempts: 3, backoffMs: 20 } } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('imports a Latin-1 CSV and an XLSX of invoices once, and reports them by supplier as PDF and HTML with Spanish text intact', async () => {
    const csv = latin1Csv([
      ['Proveedor', 'Nº factura', 'Fecha de emisión', 'Importe', 'IVA'],
      ['Ferretería Ñandú ¡Ya!', 'FE-001', '03/11/2026', '150000000', '28500000'],
      ['Ferretería Ñandú ¡Ya!', 'FE-002', '2026-11-10', '2.500.000', '475000'],
      ['¿Cementos Árbol?', 'CA-77', '15/11/2026', '99999', '0'],
    ]);
    const a = await upload(t, admin, 'invoices.invoices', csv, { filename: 'facturas.csv' });
    expect(a.statusCode, a.body).toBe(201);
    expect(a.json()).toMatchObject({ status: 'validated', totalRows: 3 });
    expect(await runToEnd(t, admin, a.json().id)).toMatchObject({ status: 'completed', createdRows: 3 });
    // The supplier sends the spreadsheet again, with one invoice more: only that one is new.
    const book = await xlsx([
      ['supplier', 'number', 'date', 'amount', 'tax'],
      ['Ferretería Ñandú ¡Ya!', 'FE-001', new Date('2026-11-03T00:00:00Z'), 150000000, 28500000],
      ['Eléctricos Güemes', 'EG-9', new Date('2026-11-20T00:00:00Z'), 1000000, 190000],
    ]);
    const b = await upload(t, admin, 'invoices.invoices', book, { type: XLSX_TYPE, filename: 'facturas.xlsx' });
    expect(b.json().preview[1].values).toEqual({ supplier: 'Eléctricos Güemes', number: 'EG-9', date: '2026-11-20', amount: 1000000, tax: 190000 });
    expect(await runToEnd(t, admin, b.json().id)).toMatchObject({ status: 'completed', createdRows: 1, skippedRows: 1 });

    const pdf = await t.app.inject({ method: 'POST', url: '/v1/reports/invoices.by-supplier', headers: admin, payload: { format: 'pdf', locale: 'es' } });
    expect(pdf.statusCode, pdf.body).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdfText(pdf.rawPayload);
    for (const s of ['Facturación por proveedor', 'Ferretería Ñandú ¡Ya!', '¿Cementos Árbol?', 'Eléctricos Güemes', 'Total facturado: ', cop(152_500_000 + 99_999 + 1_000_000), 'IVA (COP)']) expect(text).toContain(s);
    expect(cop(153_599_999)).toBe('$ 1.535.999,99');

    const html = await t.app.inject({ method: 'POST', url: '/v1/reports/invoices.by-supplier', headers: { ...admin, 'accept-language': 'en' }, payload: { format: 'html' } });
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.body).toContain('<h1>Invoicing by supplier</h1>');
    expect(html.body).toContain('<td class="">¿Cementos Árbol?</td>');
    expect((await t.app.inject({ method: 'POST', url: '/v1/reports/nope.nothing', headers: admin, payload: {} })).json()).toMatchObject({ status: 404, code: 'report_not_found' });
    expect((await t.app.inject({ method: 'POST', url: '/v1/reports/invoices.by-supplier', payload: {} })).statusCode).toBe(401);
  });

  it('a scheduled report arrives at a real SMTP server with the PDF attached, once per run', async () => {
    const to = `gerencia-${target.name}@constructora.example`;
    const created = await t.app.inject({ method: 'POST', url: '/v1/admin/reports/schedules', headers: admin, payload: { report: 'invoices.by-supplier', schedule: '0 8 * * 1', recipients: [to], locale: 'es' } });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(new Date(created.json().nextRunAt).getUTCDay()).toBe(1);
    expect((await t.app.inject({ method: 'POST', url: '/v1/admin/reports/schedules', headers: admin, payload: { report: 'invoices.by-supplier', schedule: '0 0 31 2 *', recipients: [to] } })).json()).toMatchObject({ code: 'report_schedule_invalid' });
    // Its Monday 08:00 has come (a past Monday: whatever day the suite runs).
    await t.ctx.db.updateTable('neptuno_report_schedules' as never).set({ next_run_at: '2026-11-23T08:00:00.000Z' } as never).where('id' as never, '=', id as never).execute();
    await runCron(t, 'core.reports-dispatch');
    await runCron(t, 'core.reports-dispatch'); // a second tick sends nothing more
    const mail = await smtp.waitFor(to, /Facturación por proveedor/);
    expect(mail.subject).toBe('Facturación por proveedor — 2026-11-23');
    const pdf = attachment(mail.raw, 'application/pdf');
    expect(pdf?.filename).toBe('invoices-by-supplier-2026-11-23.pdf');
    const text = pdfText(pdf!.content);
    expect(text).toContain('Ferretería Ñandú ¡Ya!');
    expect(text).toContain('Generado: 2026-11-23 08:00 UTC');
    await waitFor(async () => (await t.app.inject({ method: 'GET', url: '/v1/admin/reports/schedules', headers: admin })).json().data.find((s: { id: string }) => s.id === id)?.lastFileId, 'the stored report');
    expect(smtp.messages.filter((m) => m.to.includes(to))).toHaveLength(1);
  });
});
