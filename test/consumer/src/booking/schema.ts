import { sql, type Migration } from 'kysely';
import { columnTypes, type Timestamp } from 'neptuno';

export interface BookingRow {
  id: string;
  user_id: string;
  /** ISO 8601 UTC start of the slot (text: it is also the unique key of a live booking). */
  slot: string;
  note: string;
  status: 'held' | 'confirmed' | 'cancelled' | 'expired';
  /** Written as ISO 8601; read back through toIso (PostgreSQL answers a Date). */
  created_at: Timestamp;
}

export interface QuotaRow {
  user_id: string;
  remaining: number;
}

/** The module's tables, for its typed handle: `typedDb<BookingTables>(ctx)`. */
export interface BookingTables {
  bookings: BookingRow;
  booking_quotas: QuotaRow;
}

export const migrations: Record<string, Migration> = {
  '0001_bookings': {
    async up(db) {
      const t = columnTypes(db);
      await db.schema
        .createTable('bookings')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('slot', 'varchar(30)', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .execute();
      // One live booking per slot; cancelled and expired ones free it.
      await db.schema
        .createIndex('bookings_slot_live')
        .on('bookings')
        .column('slot')
        .unique()
        .where(sql<boolean>`status in ('held', 'confirmed')`)
        .execute();
      await db.schema.createIndex('bookings_user').on('bookings').columns(['user_id', 'created_at', 'id']).execute();
      await db.schema
        .createTable('booking_quotas')
        .addColumn('user_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('remaining', 'integer', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('booking_quotas').execute();
      await db.schema.dropTable('bookings').execute();
    },
  },
};
