import { sql, type Generated, type Kysely, type Migration } from 'kysely';
import { columnTypes, dialectOf, type Timestamp } from '../db/dialect.js';

/** One uploaded spreadsheet and where its import stands. */
export interface ImportsTable {
  id: string;
  entity: string;
  /** validated → queued → running → completed | failed; invalid: rows with errors, never runs. */
  status: string;
  tenant_id: string | null;
  /** The admin who uploaded it (JSON of the actor), who the batches are written as. */
  actor: string;
  locale: string;
  filename: string;
  file_id: string;
  /** JSON: { kind: 'csv', encoding, delimiter } | { kind: 'xlsx' } */
  format: string;
  /** JSON: the detected mapping (ColumnMapping) and the header. */
  mapping: string;
  sha256: string;
  total_rows: number;
  error_rows: number;
  processed_rows: number;
  created_rows: number;
  skipped_rows: number;
  error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

/** Per-row validation errors (the first `imports.maxErrorsKept` of an upload). */
export interface ImportErrorsTable {
  id: Generated<number>;
  import_id: string;
  line: number;
  field: string | null;
  code: string;
  message: string;
}

/**
 * Keys of every row ever imported, per entity and tenant ('' without one): the de-duplication
 * that makes a re-import create nothing new. Written in the same transaction as the batch.
 */
export interface ImportKeysTable {
  entity: string;
  scope: string;
  key: string;
  import_id: string;
  created_at: Timestamp;
}

/** Uploaded files when no files module is running (bounded by imports.maxBytes). */
export interface ImportBlobsTable {
  id: string;
  content: Buffer;
  created_at: Timestamp;
}

export interface ImportTables {
  neptuno_imports: ImportsTable;
  neptuno_import_errors: ImportErrorsTable;
  neptuno_import_keys: ImportKeysTable;
  neptuno_import_blobs: ImportBlobsTable;
}

export const importMigrations: Record<string, Migration> = {
  '0001_imports': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      const t = columnTypes(db);
      await db.schema
        .createTable('neptuno_imports')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('entity', 'varchar(100)', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('locale', 'varchar(5)', (c) => c.notNull())
        .addColumn('filename', 'varchar(255)', (c) => c.notNull())
        .addColumn('file_id', 'varchar(100)', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('mapping', 'text', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('total_rows', 'integer', (c) => c.notNull())
        .addColumn('error_rows', 'integer', (c) => c.notNull())
        .addColumn('processed_rows', 'integer', (c) => c.notNull())
        .addColumn('created_rows', 'integer', (c) => c.notNull())
        .addColumn('skipped_rows', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .addColumn('finished_at', t.timestamp)
        .execute();
      await db.schema.createIndex('neptuno_imports_list').on('neptuno_imports').columns(['tenant_id', 'created_at', 'id']).execute();
      await db.schema
        .createTable('neptuno_import_errors')
        .addColumn('id', t.autoIncrement, (c) => c.primaryKey())
        .addColumn('import_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('line', 'integer', (c) => c.notNull())
        .addColumn('field', 'varchar(100)')
        .addColumn('code', 'varchar(40)', (c) => c.notNull())
        .addColumn('message', 'varchar(500)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('neptuno_import_errors_by_import').on('neptuno_import_errors').columns(['import_id', 'id']).execute();
      await db.schema
        .createTable('neptuno_import_keys')
        .addColumn('entity', 'varchar(100)', (c) => c.notNull())
        .addColumn('scope', 'varchar(64)', (c) => c.notNull())
        .addColumn('key', 'varchar(255)', (c) => c.notNull())
        .addColumn('import_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('neptuno_import_keys_pk', ['entity', 'scope', 'key'])
        .execute();
      await db.schema
        .createTable('neptuno_import_blobs')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('content', dialectOf(db) === 'postgres' ? sql`bytea` : sql`blob`, (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      for (const table of ['neptuno_import_blobs', 'neptuno_import_keys', 'neptuno_import_errors', 'neptuno_imports']) await db.schema.dropTable(table).ifExists().execute();
    },
  },
};
