import type { Migration } from 'kysely';
import type { Timestamp } from 'neptuno';

export interface EntryRow {
  id: string;
  name: string;
  message: string;
  status: 'pending' | 'published' | 'hidden';
  created_at: Timestamp;
}

/** This module's tables, for its typed handle: `typedDb<GuestbookTables>(ctx)`. */
export interface GuestbookTables {
  guestbook_entries: EntryRow;
}

export const guestbookMigrations: Record<string, Migration> = {
  '0001_entries': {
    async up(db) {
      // Kept as first released (ISO text timestamps): a migration that already ran is never edited.
      await db.schema
        .createTable('guestbook_entries')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(80)', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('guestbook_entries_created').on('guestbook_entries').columns(['created_at', 'id']).execute();
    },
    async down(db) {
      await db.schema.dropTable('guestbook_entries').execute();
    },
  },
};
