import type { Kysely, Migration, Transaction } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';
import type { TxConsequences } from '../../core/outbox/outbox.js';

export type FileStatus = 'processing' | 'ready' | 'failed';

export interface VariantInfo {
  key: string;
  width: number;
  height: number;
  size: number;
}

/** A row of `files`: one upload. Its bytes live in ctx.storage under `key` (and variants'). */
export interface FileRow {
  id: string;
  /** The uploading user; null for files made by the system (imports, admin token). */
  owner_id: string | null;
  purpose: string;
  status: FileStatus;
  /** Storage key of the bytes to serve (an image's `full` variant once processed). */
  key: string;
  content_type: string;
  size: number;
  /** SHA-256 of the bytes uploaded. */
  sha256: string;
  /** Display name, cleaned; never used as a path. */
  name: string;
  /** JSON: variant name -> VariantInfo (images). */
  variants: string;
  /** What uses the file (`users.avatar:<id>`, `gamification.badge:<key>`…); null until attached. */
  ref: string | null;
  attached_at: Timestamp | null;
  deleted_at: Timestamp | null;
  created_at: Timestamp;
}

/** Bytes each owner keeps stored, for the quota (raised atomically with a guard). */
export interface FileUsageRow {
  owner_id: string;
  bytes: number | string;
}

export interface FilesTables {
  files: FileRow;
  file_usage: FileUsageRow;
}
export type FilesDb = Kysely<FilesTables>;
export type FilesTrx = Transaction<FilesTables> & TxConsequences;

export const migrations: Record<string, Migration> = {
  '0001_files': {
    async up(db) {
      const ts = columnTypes(db).timestamp;
      await db.schema
        .createTable('files')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('owner_id', 'varchar(255)')
        .addColumn('purpose', 'varchar(40)', (c) => c.notNull())
        .addColumn('status', 'varchar(12)', (c) => c.notNull())
        .addColumn('key', 'varchar(1024)', (c) => c.notNull())
        .addColumn('content_type', 'varchar(127)', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('variants', 'text', (c) => c.notNull())
        .addColumn('ref', 'varchar(255)')
        .addColumn('attached_at', ts)
        .addColumn('deleted_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('files_owner_idx').on('files').columns(['owner_id', 'id']).execute();
      await db.schema.createIndex('files_ref_idx').on('files').column('ref').execute();
      await db.schema.createIndex('files_sweep_idx').on('files').columns(['attached_at', 'created_at']).execute();
      await db.schema.createIndex('files_deleted_idx').on('files').column('deleted_at').execute();
      await db.schema
        .createTable('file_usage')
        .addColumn('owner_id', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('file_usage').execute();
      await db.schema.dropTable('files').execute();
    },
  },
};
