import type { Migration } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';

/** A row of `guests`. Timestamps are ISO 8601 UTC strings in SQLite and timestamptz in PostgreSQL. */
export interface GuestRow {
  id: string;
  display_name: string;
  last_ip: string | null;
  /** Requests that resolved this guest as the caller. */
  endpoints_used: number;
  last_active_at: Timestamp;
  created_at: Timestamp;
  merged_into_user_id: string | null;
  merged_at: Timestamp | null;
}

/** This module's tables, for `typedDb<GuestsTables>(ctx)`. */
export interface GuestsTables {
  guests: GuestRow;
}

export const migrations: Record<string, Migration> = {
  '0001_guests': {
    async up(db) {
      const ts = columnTypes(db).timestamp;
      await db.schema
        .createTable('guests')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('display_name', 'varchar(80)', (c) => c.notNull())
        .addColumn('last_ip', 'varchar(64)')
        .addColumn('endpoints_used', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_active_at', ts, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('merged_into_user_id', 'varchar(255)')
        .addColumn('merged_at', ts)
        .execute();
      // Keyset pagination of the admin list and the idle-guest cleanup both walk this index.
      await db.schema.createIndex('guests_last_active_idx').on('guests').columns(['last_active_at', 'id']).execute();
      await db.schema.createIndex('guests_merged_user_idx').on('guests').column('merged_into_user_id').execute();
    },
    async down(db) {
      await db.schema.dropTable('guests').execute();
    },
  },
};
