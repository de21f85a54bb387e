import { Type } from 'typebox';
import type { Kysely } from 'kysely';
import { defineModule } from '../module.js';
import { defineImport } from './types.js';
import { Page, PageQuery, paginate } from '../db/paginate.js';
import { boolValue, columnTypes } from '../db/dialect.js';

/** A test-only module: contacts imported from spreadsheets and listed by admins (imports and exports tests). */
interface Tables {
  fixture_contacts: { id: number; email: string; name: string; age: number | null; vip: number | boolean; tenant_id: string | null; import_id: string };
}

const Contact = Type.Object({ id: Type.Integer(), email: Type.String(), name: Type.String(), age: Type.Union([Type.Integer(), Type.Null()]), vip: Type.Boolean() });

export const contactsImport = defineImport({
  name: 'contacts',
  title: { es: 'Contactos', en: 'Contacts' },
  row: Type.Object(
    {
      email: Type.String({ format: 'email', maxLength: 254 }),
      name: Type.String({ minLength: 1, maxLength: 200 }),
      age: Type.Optional(Type.Integer({ minimum: 0, maximum: 150 })),
      vip: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  aliases: { email: ['correo', 'correo electrónico'], name: ['nombre'], age: ['edad'], vip: ['es vip'] },
  key: (r) => r.email,
  batchSize: 50,
  async write(rows, trx, { importId, tenantId, ctx }) {
    const t = trx as unknown as Kysely<Tables>;
    await t
      .insertInto('fixture_contacts')
      .values(rows.map((r) => ({ email: r.email, name: r.name, age: r.age ?? null, vip: boolValue(ctx.dialect, r.vip ?? false) as number, tenant_id: tenantId, import_id: importId })) as never)
      .execute();
  },
});

export default defineModule({
  name: 'contacts-fixture',
  migrations: {
    '0001': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('fixture_contacts')
          .addColumn('id', columnTypes(db).autoIncrement, (c) => c.primaryKey())
          .addColumn('email', 'varchar(254)', (c) => c.notNull().unique())
          .addColumn('name', 'varchar(200)', (c) => c.notNull())
          .addColumn('age', 'integer')
          .addColumn('vip', columnTypes(db).boolean, (c) => c.notNull())
          .addColumn('tenant_id', 'varchar(64)')
          .addColumn('import_id', 'varchar(40)', (c) => c.notNull())
          .execute();
      },
    },
  },
  imports: [contactsImport],
  adminRoutes: async (app, ctx) => {
    const db = ctx.db as unknown as Kysely<Tables>;
    app.get(
      '',
      {
        schema: {
          querystring: Type.Object({ ...PageQuery.properties, vip: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          response: { 200: Page(Contact) },
        },
      },
      async (request) => {
        let q = db.selectFrom('fixture_contacts').select(['id', 'email', 'name', 'age', 'vip']);
        if (request.query.vip !== undefined) q = q.where('vip', '=', boolValue(ctx.dialect, request.query.vip) as number);
        const page = await paginate(q, { limit: request.query.limit, cursor: request.query.cursor, orderBy: ['id'], direction: 'asc', key: (r) => [Number(r.id)] });
        return { data: page.data.map((r) => ({ ...r, id: Number(r.id), vip: Boolean(r.vip) })), nextCursor: page.nextCursor };
      },
    );
  },
});
