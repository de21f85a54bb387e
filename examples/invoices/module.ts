import { Type } from 'typebox';
import type { Kysely, Migration } from 'kysely';
import { defineImport, defineModule, defineReport } from 'neptuno';

/**
 * Supplier invoices for a construction company (the seed report's case): imported from the
 * CSV and Excel files suppliers send, kept in the database (not in a container's disk), and
 * summed per supplier in a PDF report emailed every Monday. Amounts are COP in minor units
 * (centavos), tax too; one invoice per (supplier, number).
 */
interface InvoicesTable {
  id: string;
  tenant_id: string | null;
  supplier: string;
  number: string;
  issued_on: string;
  amount: number;
  tax: number;
  import_id: string;
}
interface Tables {
  invoices: InvoicesTable;
}

const migrations: Record<string, Migration> = {
  '0001_invoices': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('invoices')
        .addColumn('id', 'varchar(300)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(64)')
        .addColumn('supplier', 'varchar(200)', (c) => c.notNull())
        .addColumn('number', 'varchar(60)', (c) => c.notNull())
        .addColumn('issued_on', 'varchar(10)', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('tax', 'bigint', (c) => c.notNull())
        .addColumn('import_id', 'varchar(40)', (c) => c.notNull())
        .execute();
    },
  },
};

/** 1234567 centavos → "$ 12.345,67" (COP as written in Colombia). */
export const cop = (minor: number) => {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const units = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${sign}$ ${units},${String(abs % 100).padStart(2, '0')}`;
};

export const invoicesImport = defineImport({
  name: 'invoices',
  title: { es: 'Facturas de proveedores', en: 'Supplier invoices' },
  row: Type.Object(
    {
      supplier: Type.String({ minLength: 1, maxLength: 200 }),
      number: Type.String({ minLength: 1, maxLength: 60 }),
      date: Type.String({ format: 'date' }),
      amount: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000_00 }),
      tax: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000_00 })),
    },
    { additionalProperties: false },
  ),
  aliases: {
    supplier: ['proveedor', 'razón social', 'vendor'],
    number: ['número', 'numero', 'factura', 'nº factura', 'invoice', 'invoice number'],
    date: ['fecha', 'fecha de emisión', 'issued', 'issue date'],
    amount: ['importe', 'valor', 'monto', 'total', 'amount (cop)'],
    tax: ['iva', 'impuesto', 'vat'],
  },
  key: (r) => `${r.supplier.toLowerCase()}|${r.number}`,
  async write(rows, trx, { importId, tenantId }) {
    const t = trx as unknown as Kysely<Tables>;
    await t
      .insertInto('invoices')
      .values(rows.map((r) => ({ id: `${tenantId ?? ''}|${r.supplier.toLowerCase()}|${r.number}`, tenant_id: tenantId, supplier: r.supplier, number: r.number, issued_on: r.date, amount: r.amount, tax: r.tax ?? 0, import_id: importId })))
      .execute();
  },
});

export const bySupplier = defineReport({
  name: 'by-supplier',
  title: { es: 'Facturación por proveedor', en: 'Invoicing by supplier' },
  async query({ ctx, tenantId }) {
    const db = ctx.db as unknown as Kysely<Tables>;
    let q = db
      .selectFrom('invoices')
      .select((eb) => ['supplier', eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('amount').as('amount'), eb.fn.sum<number>('tax').as('tax')])
      .groupBy('supplier')
      .orderBy('supplier');
    q = tenantId === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenantId);
    const rows = await q.execute();
    const total = rows.reduce((s, r) => s + Number(r.amount), 0);
    return {
      columns: [
        { key: 'supplier', label: { es: 'Proveedor', en: 'Supplier' } },
        { key: 'n', label: { es: 'Facturas', en: 'Invoices' }, align: 'right' },
        { key: 'amount', label: { es: 'Importe (COP)', en: 'Amount (COP)' }, align: 'right' },
        { key: 'tax', label: { es: 'IVA (COP)', en: 'VAT (COP)' }, align: 'right' },
      ],
      rows: rows.map((r) => ({ supplier: r.supplier, n: Number(r.n), amount: cop(Number(r.amount)), tax: cop(Number(r.tax)) })),
      summary: [{ label: { es: 'Total facturado', en: 'Total invoiced' }, value: cop(total) }],
    };
  },
});

export default defineModule({
  name: 'invoices',
  migrations,
  imports: [invoicesImport],
  reports: [bySupplier],
});
