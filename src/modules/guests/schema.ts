import { PostgresAdapter, type Kysely, type Migration } from 'kysely';

/** A row of `guests`. Timestamps are ISO 8601 UTC strings in SQLite and timestamptz in PostgreSQL. */
export interface GuestRow {
  id: string;
  display_name: string;
  last_ip: string | null;
  /** Requests that resolved this guest as the caller. */
  endpoints_used: number;
  last_active_at: string | Date;
  created_at: string | Date;
  merged_into_user_id: string | null;
  merged_at: string | Date | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter;

/** Both dialects compare these columns correctly: timestamptz natively, ISO text lexicographically. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const timestampType = (db: Kysely<any>) => (isPostgres(db) ? 'timestamptz' : 'text');

export const migrations: Record<string, Migration> = {
  '0001_guests': {
    async up(db) {
      const ts = timestampType(db);
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

/** Normalises a timestamp read from either dialect to ISO 8601 UTC. */
export function toIso(value: string | Date): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
