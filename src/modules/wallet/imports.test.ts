import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { latin1Csv, runToEnd, upload, xlsx, XLSX_TYPE } from '../../core/imports/testing.js';
import authModule from '../auth/module.js';
import guestsModule from '../guests/module.js';
import walletModule from './module.js';

const TOKEN = 'admin-token-for-wallet-import-tests-0123456789';
const admin = { authorization: `Bearer ${TOKEN}` };

describe.each(targets)('wallet credit grants from a spreadsheet on %s', (target) => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  const run = `${process.pid}-${Date.now()}`;
  const email = (n: string) => `${n.normalize('NFD').replace(/\p{M}/gu, '')}-${run}@ejemplo.com`;
  const balance = async (n: string) => (await t.ctx.services.wallet.balance({ userId: ids[n] })).balance;

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [authModule, guestsModule, walletModule], workers: true, config: { admin: { token: TOKEN } } });
    for (const n of ['ana', 'iñigo', 'sofía']) ids[n] = (await t.ctx.services.auth.createUser({ email: email(n), name: n, password: 'Un-secreto-largo-2026!' })).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a Latin-1 CSV with `;`: preview with the detected mapping, then the job grants once; the same file again grants nothing', async () => {
    const file = latin1Csv([
      ['Clave', 'Correo electrónico', 'Créditos', 'Motivo', 'Vence'],
      [`${run}-1`, email('ana'), '1.500', 'Campaña de otoño ¡gracias!', '31/12/2099'],
      [`${run}-2`, email('iñigo'), '200', 'Compensación', ''],
      [`${run}-3`, email('sofía'), '75', 'Niña del año', ''],
    ]);
    const res = await upload(t, admin, 'wallet.grants', file, { filename: 'concesiones.csv' });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ status: 'validated', totalRows: 3, errorRows: 0, format: { kind: 'csv', encoding: 'windows-1252', delimiter: ';' } });
    expect(body.mapping).toEqual(
      expect.arrayContaining([
        { field: 'rowKey', column: 'Clave', required: true },
        { field: 'email', column: 'Correo electrónico', required: false },
        { field: 'amount', column: 'Créditos', required: true },
        { field: 'reason', column: 'Motivo', required: true },
        { field: 'expiresAt', column: 'Vence', required: false },
        { field: 'userId', column: null, required: false },
      ]),
    );
    expect(body.preview[0]).toMatchObject({ line: 2, values: { amount: 1500, reason: 'Campaña de otoño ¡gracias!', expiresAt: '2099-12-31' }, errors: [] });
    // Validated, not written.
    expect(await balance('ana')).toBe(0);

    const done = await runToEnd(t, admin, body.id);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', percent: 100, processedRows: 3, createdRows: 3, skippedRows: 0 });
    expect([await balance('ana'), await balance('iñigo'), await balance('sofía')]).toEqual([1500, 200, 75]);

    // The very same file, uploaded and run again: every row skipped by its key, no credit twice.
    const again = await upload(t, admin, 'wallet.grants', file);
    expect(again.statusCode).toBe(201);
    expect(await runToEnd(t, admin, again.json().id)).toMatchObject({ status: 'completed', createdRows: 0, skippedRows: 3 });
    expect([await balance('ana'), await balance('iñigo'), await balance('sofía')]).toEqual([1500, 200, 75]);
  });

  it('an XLSX from exceljs overlapping an earlier import grants only its new rows; the ledger source is per row key', async () => {
    const file = await xlsx([
      ['rowKey', 'email', 'amount', 'reason', 'kind'],
      [`${run}-1`, email('ana'), 1500, 'Campaña de otoño ¡gracias!', 'promotional'],
      [`${run}-4`, email('ana'), 10, 'Bono', 'paid'],
    ]);
    const res = await upload(t, admin, 'wallet.grants', file, { type: XLSX_TYPE, filename: 'concesiones.xlsx' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'validated', totalRows: 2, format: { kind: 'xlsx' } });
    expect(await runToEnd(t, admin, res.json().id)).toMatchObject({ status: 'completed', createdRows: 1, skippedRows: 1 });
    expect(await balance('ana')).toBe(1510);
    const transfers = await t.ctx.db.selectFrom('wallet_transfers' as never).select(['source' as never]).where('source' as never, 'like', `import::${run}-%` as never).execute();
    expect(transfers).toHaveLength(4);
  });

  it('bad rows: every one reported by line (JSON and CSV), the import cannot start, nothing is written', async () => {
    const file = latin1Csv(
      [
        ['clave', 'correo', 'cantidad', 'motivo'],
        [`${run}-b1`, email('ana'), 'mil', 'x'],
        [`${run}-b2`, `nadie-${run}@ejemplo.com`, '5', 'x'],
        [`${run}-b3`, email('ana'), '5', ''],
        [`${run}-b4`, email('ana'), '5', 'ok'],
        [`${run}-b4`, email('ana'), '5', 'repetida'],
        [`${run}-b5`, email('ana'), '-3', 'negativo'],
      ],
      ',',
    );
    const res = await upload(t, admin, 'wallet.grants', file);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ status: 'invalid', totalRows: 6, errorRows: 5 });
    const errors = (await t.app.inject({ method: 'GET', url: `/v1/admin/imports/${body.id}/errors`, headers: admin })).json().data;
    expect(errors).toEqual([
      { line: 2, field: 'amount', code: 'integer', message: 'Debe ser un número entero' },
      { line: 3, field: 'email', code: 'invalid', message: 'No hay ninguna cuenta así' },
      { line: 4, field: 'reason', code: 'required', message: 'Falta el valor' },
      { line: 6, field: null, code: 'duplicate_key', message: 'Repite la clave de la fila 5' },
      { line: 7, field: 'amount', code: 'minimum', message: 'Debe ser al menos 1' },
    ]);
    const csv = await t.app.inject({ method: 'GET', url: `/v1/admin/imports/${body.id}/errors.csv`, headers: { ...admin, 'accept-language': 'en' } });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body.replace(/^\uFEFF/, '').split('\n')[0]).toBe('line,field,code,error');
    expect(csv.body).toContain('4,reason,required,Falta el valor');
    const start = await t.app.inject({ method: 'POST', url: `/v1/admin/imports/${body.id}/start`, headers: { ...admin, 'accept-language': 'en' } });
    expect(start.statusCode).toBe(409);
    expect(start.json()).toMatchObject({ code: 'import_has_errors' });
    expect(await balance('ana')).toBe(1510);
  });
});
