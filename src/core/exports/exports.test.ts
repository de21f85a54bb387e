import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import contacts from '../imports/contacts.fixture.js';
import { runToEnd, upload, utf8Csv } from '../imports/testing.js';

const TOKEN = 'admin-token-for-exports-tests-0123456789abcdef';
const admin = { authorization: `Bearer ${TOKEN}` };

describe.each(targets)('exports on %s', (target) => {
  let t: TestApp;
  const run = `${process.pid}${Date.now()}`;
  const get = (url: string, headers: Record<string, string> = admin) => t.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [contacts], workers: true, config: { admin: { token: TOKEN } } });
    // 250 contacts (three pages of 100), every fifth one VIP; two names are formulas.
    const rows: unknown[][] = [['email', 'name', 'age', 'vip']];
    for (let i = 0; i < 250; i++) rows.push([`e${i}-${run}@x.co`, i === 0 ? '=HYPERLINK("http://evil.example","clic")' : i === 5 ? '@SUM(A1:A9)' : `Ñandú ${i}`, String(20 + (i % 50)), i % 5 === 0 ? 'sí' : 'no']);
    const res = await upload(t, admin, 'contacts-fixture.contacts', utf8Csv(rows));
    expect(res.statusCode, res.body).toBe(201);
    expect(await runToEnd(t, admin, res.json().id)).toMatchObject({ status: 'completed', createdRows: 250 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('any paginated admin list as CSV, all pages, with its filters; formulas neutralized', async () => {
    const res = await get(`/v1/admin/exports?list=${encodeURIComponent('/v1/admin/contacts-fixture?vip=true')}&format=csv`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="contacts-fixture.csv"');
    expect(res.body.startsWith('\uFEFF')).toBe(true);
    const records = parse(res.body.slice(1), { columns: true }) as Array<Record<string, string>>;
    expect(records).toHaveLength(50);
    expect(Object.keys(records[0])).toEqual(['id', 'email', 'name', 'age', 'vip']);
    expect(records.every((r) => r.vip === '1' || r.vip === 'true')).toBe(true);
    expect(records[0].name).toBe(`'=HYPERLINK("http://evil.example","clic")`);
    expect(records[1].name).toBe(`'@SUM(A1:A9)`);
    expect(records[2].name).toBe('Ñandú 10');
    const all = parse((await get(`/v1/admin/exports?list=${encodeURIComponent('/v1/admin/contacts-fixture')}`)).body.slice(1), { columns: true });
    expect(all).toHaveLength(250);
  });

  it('the same list as XLSX, read back with exceljs', async () => {
    const res = await get(`/v1/admin/exports?list=${encodeURIComponent('/v1/admin/contacts-fixture')}&format=xlsx`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.rowCount).toBe(251);
    expect(ws.getRow(1).values).toEqual([undefined, 'id', 'email', 'name', 'age', 'vip']);
    expect(ws.getRow(2).getCell(3).value).toBe(`'=HYPERLINK("http://evil.example","clic")`);
    expect(ws.getRow(3).getCell(3).value).toBe('Ñandú 1');
    expect(typeof ws.getRow(3).getCell(4).value).toBe('number');
  });

  it('refuses what is not an admin list, and passes the list’s own problems through', async () => {
    for (const list of ['/v1/public/whatever', 'http://evil.example/v1/admin/x', '/v1/admin/exports?list=/v1/admin/x']) {
      const res = await get(`/v1/admin/exports?list=${encodeURIComponent(list)}`);
      expect(res.statusCode, list).toBe(400);
      expect(res.json()).toMatchObject({ code: 'export_invalid_list' });
    }
    const notList = await get(`/v1/admin/exports?list=${encodeURIComponent('/v1/admin/imports/entities')}`);
    expect(notList.json()).toMatchObject({ status: 400, code: 'export_not_a_list' });
    const badFilter = await get(`/v1/admin/exports?list=${encodeURIComponent('/v1/admin/contacts-fixture?vip=maybe')}`);
    expect(badFilter.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    const missing = await get(`/v1/admin/exports?list=${encodeURIComponent('/v1/admin/nothing-here')}`);
    expect(missing.statusCode).toBe(404);
    expect((await get(`/v1/admin/exports?list=${encodeURIComponent('/v1/admin/contacts-fixture')}`, {})).statusCode).toBe(401);
  });
});
