import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { columnTypes, toIso } from './dialect.js';
import { Page, PageQuery, paginate } from './paginate.js';
import { Type } from 'typebox';

interface Row {
  id: number;
  at: string | Date;
}

/** A list keyed on (timestamp, integer): the column types a forged cursor used to break on PostgreSQL. */
const probe = defineModule({
  name: 'probe',
  migrations: {
    '001_probe': {
      up: async (db) => {
        const t = columnTypes(db);
        await db.schema.createTable('probe_rows').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('at', t.timestamp, (c) => c.notNull()).execute();
      },
    },
  },
  routes: async (app, ctx) => {
    app.get('/rows', { schema: { querystring: PageQuery, response: { 200: Page(Type.Object({ id: Type.Integer(), at: Type.String() })) } } }, async (request) => {
      const q = ctx.db.selectFrom('probe_rows' as never).selectAll() as never;
      const page = await paginate<never, never, Row>(q, { ...(request.query as object), orderBy: ['at', 'id'], key: (r) => [toIso(r.at), r.id] });
      return { ...page, data: page.data.map((r) => ({ id: r.id, at: toIso(r.at) })) };
    });
  },
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe.each(targets)('pagination cursors on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ target, modules: [probe] });
    const rows = Array.from({ length: 5 }, (_, i) => ({ id: i + 1, at: new Date(Date.UTC(2026, 0, i + 1)).toISOString() }));
    await t.ctx.db.insertInto('probe_rows' as never).values(rows as never).execute();
  });
  afterAll(() => t?.close());

  const list = (query: string) => t.app.inject({ url: `/v1/probe/rows?${query}` });

  it('walks every page with the cursors it issued', async () => {
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      ids.push(...res.json().data.map((r: Row) => r.id));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(ids).toEqual([5, 4, 3, 2, 1]);
  });

  it('refuses forged cursors, whatever their values, with 400 invalid_cursor', async () => {
    const issued = (await list('limit=2')).json().nextCursor as string;
    const signature = issued.slice(issued.indexOf('.'));
    const forged = [
      b64(['x', 1]),
      b64([1e308, 'x']),
      b64(['9999-99-99', -1]),
      b64(['-271821-04-20T00:00:00Z', 1]),
      b64(['\u0000', 1]),
      `${b64(['x', 1])}${signature}`, // a real signature on other values
      `${issued.slice(0, -2)}AA`,
      'nope',
      '.',
    ];
    for (const cursor of forged) {
      const res = await list(`cursor=${encodeURIComponent(cursor)}`);
      expect(res.statusCode, cursor).toBe(400);
      expect(res.json().code).toBe('invalid_cursor');
    }
  });
});
