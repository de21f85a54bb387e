import { sql, type Migration } from 'kysely';

export interface BookingRow {
  id: string;
  user_id: string;
  /** ISO 8601 UTC start of the slot. */
  slot: string;
  note: string;
  status: 'held' | 'confirmed' | 'cancelled' | 'expired';
  created_at: string;
}

export interface QuotaRow {
  user_id: string;
  remaining: number;
}

/** The module's tables, for a typed handle: `ctx.db as unknown as Kysely<BookingTables>`. */
export interface BookingTables {
  bookings: BookingRow;
  booking_quotas: QuotaRow;
}

export const migrations: Record<string, Migration> = {
  '0001_bookings': {
    async up(db) {
      await db.schema
        .createTable('bookings')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('slot', 'varchar(30)', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
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
