import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { TestSocket, type Frame } from '../../testing/realtime.js';
import contacts from './contacts.fixture.js';
import { handZip, latin1Csv, runToEnd, upload, utf8Csv, xlsx, XLSX_TYPE } from './testing.js';

const TOKEN = 'admin-token-for-imports-tests-0123456789abcdef';
const admin = { authorization: `Bearer ${TOKEN}` };
const ENTITY = 'contacts-fixture.contacts';

describe.each(targets)('imports on %s', (target) => {
  let t: TestApp;
  const run = `${process.pid}${Date.now()}`;
  const mail = (n: string | number) => `c${n}-${run}@ejemplo.com`;
  const counts = async () => {
    const one = async (table: string) => Number((await t.ctx.db.selectFrom(table as never).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    return { contacts: await one('fixture_contacts'), imports: await one('neptuno_imports'), blobs: await one('neptuno_import_blobs'), keys: await one('neptuno_import_keys') };
  };
  const refused = async (content: Buffer, status: number, code: string, type?: string) => {
    const before = await counts();
    const res = await upload(t, admin, ENTITY, content, { type, lang: 'en' });
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code, status });
    // Nothing half-written: no import, no stored file, no rows.
    expect(await counts()).toEqual(before);
    return res.json();
  };

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [contacts], workers: true, config: { admin: { token: TOKEN }, imports: { xlsxMaxUncompressedBytes: 10_000_000 } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists what can be imported, with columns and aliases', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/admin/imports/entities', headers: { ...admin, 'accept-language': 'es' } });
    expect(res.json().data).toContainEqual({
      entity: ENTITY,
      title: 'Contactos',
      columns: [
        { field: 'email', required: true, aliases: ['correo', 'correo electrónico'] },
        { field: 'name', required: true, aliases: ['nombre'] },
        { field: 'age', required: false, aliases: ['edad'] },
        { field: 'vip', required: false, aliases: ['es vip'] },
      ],
    });
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/imports/entities' })).statusCode).toBe(401);
  });

  it('UTF-8 with a BOM and tabs, UTF-8 without one and commas, Latin-1 and `;`: the same accents come out', async () => {
    const rows = (p: string) => [
      ['Correo electrónico', 'Nombre', 'Edad', 'Es VIP'],
      [mail(`${p}1`), 'Begoña Núñez', '41', 'sí'],
      [mail(`${p}2`), '¿Quién? ¡Álvaro!', '', 'no'],
    ];
    const files = [
      { p: 'u', file: utf8Csv(rows('u'), { delimiter: '\t' }), format: { encoding: 'utf-8', delimiter: '\t' } },
      { p: 'n', file: utf8Csv(rows('n'), { bom: false }), format: { encoding: 'utf-8', delimiter: ',' } },
      { p: 'l', file: latin1Csv(rows('l')), format: { encoding: 'windows-1252', delimiter: ';' } },
    ];
    for (const { p, file, format } of files) {
      const res = await upload(t, admin, ENTITY, file);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ status: 'validated', totalRows: 2, format: { kind: 'csv', ...format } });
      expect(res.json().preview.map((r: { values: unknown }) => r.values)).toEqual([
        { email: mail(`${p}1`), name: 'Begoña Núñez', age: 41, vip: true },
        { email: mail(`${p}2`), name: '¿Quién? ¡Álvaro!', vip: false },
      ]);
      expect(await runToEnd(t, admin, res.json().id)).toMatchObject({ status: 'completed', createdRows: 2 });
    }
    const names = await t.ctx.db.selectFrom('fixture_contacts' as never).select('name' as never).where('email' as never, 'like', `%-${run}@ejemplo.com` as never).execute();
    expect(new Set(names.map((r) => (r as { name: string }).name))).toEqual(new Set(['Begoña Núñez', '¿Quién? ¡Álvaro!']));
  });

  it('progress reaches the admin channel and the status endpoint; a second run of the same rows creates nothing', async () => {
    const base = await t.neptuno.listen();
    const socket = await TestSocket.open(base, { ...admin });
    try {
      expect(await socket.subscribe('admin')).toMatchObject({ type: 'subscribed' });
      const rows: unknown[][] = [['email', 'name']];
      for (let i = 0; i < 120; i++) rows.push([mail(`p${i}`), `Persona ${i}`]);
      const file = await xlsx(rows);
      const res = await upload(t, admin, ENTITY, file, { type: XLSX_TYPE });
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json().id as string;
      expect(await runToEnd(t, admin, id)).toMatchObject({ status: 'completed', percent: 100, processedRows: 120, createdRows: 120 });
      const last = await socket.next('message', (f: Frame) => f.data?.event === 'import.progress' && f.data.id === id && f.data.status === 'completed', 'the completed progress message');
      expect(last.data).toMatchObject({ percent: 100, processed: 120, total: 120, created: 120 });
      // Batches of 50: 40 % and 83 % were announced on the way.
      const percents = socket.all('message', (f: Frame) => f.data?.id === id && f.data.status === 'running').map((f) => f.data.percent);
      expect(percents).toEqual([41, 83, 100]);

      const again = await upload(t, admin, ENTITY, file, { type: XLSX_TYPE });
      expect(await runToEnd(t, admin, again.json().id)).toMatchObject({ status: 'completed', createdRows: 0, skippedRows: 120 });
      const list = await t.app.inject({ method: 'GET', url: `/v1/admin/imports?entity=${ENTITY}&limit=2`, headers: admin });
      expect(list.json().data.map((i: { id: string }) => i.id)).toEqual([again.json().id, id]);
    } finally {
      socket.close();
    }
  });

  it('ragged rows and bad values are row errors; a missing required column refuses the file', async () => {
    const res = await upload(t, admin, ENTITY, utf8Csv([['email', 'name', 'age'], [mail('r1'), 'Ana', '30', 'sobra'], [mail('r2'), 'Bea'], ['no-es-correo', 'C', '999']]), { lang: 'en' });
    expect(res.json()).toMatchObject({ status: 'invalid', errorRows: 2 });
    const errors = (await t.app.inject({ method: 'GET', url: `/v1/admin/imports/${res.json().id}/errors`, headers: admin })).json().data;
    expect(errors).toEqual([
      { line: 2, field: null, code: 'ragged_row', message: 'Has 4 columns, the header has 3' },
      { line: 4, field: 'email', code: 'format', message: 'Is not a valid email' },
      { line: 4, field: 'age', code: 'maximum', message: 'Must be at most 150' },
    ]);
    const missing = await refused(utf8Csv([['correo', 'edad'], [mail('m'), '3']]), 422, 'import_missing_columns');
    expect(missing.detail).toBe('The file lacks the required columns: name.');
  });

  it('hostile files: too many rows (1,000,000), a huge cell, an unclosed quote, binary, empty: 4xx and nothing stored', async () => {
    const million = Buffer.from(['email,name', ...Array.from({ length: 1_000_000 }, (_, i) => `x${i}@e.co,n`)].join('\n'));
    const tooMany = await refused(million, 413, 'import_too_many_rows');
    expect(tooMany.detail).toContain('100000');
    await refused(utf8Csv([['email', 'name'], [mail('h'), 'x'.repeat(20_000)]]), 422, 'import_cell_too_large');
    await refused(Buffer.from(`email,name\n${mail('q')},"sin cerrar\n${mail('q2')},b\n`), 422, 'import_malformed_file');
    await refused(Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0x01, 0x02]), 415, 'import_unsupported_file');
    await refused(Buffer.alloc(0), 422, 'import_empty_file');
    await refused(Buffer.from('\n\n'), 422, 'import_empty_file');
  });

  it('XLSX zip bombs: inflating past the bound, a header lying about its size, thousands of entries: 422, nothing stored', async () => {
    const bomb = handZip([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(30_000_000, 0x20) }]);
    expect(bomb.length).toBeLessThan(100_000);
    expect((await refused(bomb, 422, 'import_xlsx_rejected', XLSX_TYPE)).detail).toMatch(/zip bomb/);
    const liar = handZip([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(5_000_000, 0x20), declaredSize: 1000 }]);
    await refused(liar, 422, 'import_xlsx_rejected', XLSX_TYPE);
    const many = handZip(Array.from({ length: 1500 }, (_, i) => ({ name: `x/${i}.xml`, data: Buffer.from('<a/>') })));
    expect((await refused(many, 422, 'import_xlsx_rejected', XLSX_TYPE)).detail).toMatch(/too many parts/);
    await refused(Buffer.from('PK\u0003\u0004 not really a zip'), 422, 'import_xlsx_rejected', XLSX_TYPE);
  });

  it('a file over imports.maxBytes is 413 before it is read; unknown entities and imports are 404', async () => {
    const big = Buffer.alloc(21 * 1024 * 1024, 0x61);
    const res = await upload(t, admin, ENTITY, big);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'payload_too_large' });
    expect((await upload(t, admin, 'nope.nothing', utf8Csv([['a']]))).json()).toMatchObject({ status: 404, code: 'import_entity_not_found' });
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/imports/nope', headers: admin })).statusCode).toBe(404);
  });
});
