import { PostgresAdapter, type Kysely, type Migration } from 'kysely';

export interface UserProfileRow {
  user_id: string;
  locale: string | null;
  timezone: string | null;
  /** JSON object of the custom fields declared in neptuno.yaml. */
  custom_fields: string;
  created_at: string | Date;
  updated_at: string | Date;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const timestampType = (db: Kysely<any>) => (db.getExecutor().adapter instanceof PostgresAdapter ? 'timestamptz' : 'text');

export const migrations: Record<string, Migration> = {
  '0001_user_profiles': {
    async up(db) {
      const ts = timestampType(db);
      await db.schema
        .createTable('user_profiles')
        .addColumn('user_id', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('locale', 'varchar(16)')
        .addColumn('timezone', 'varchar(64)')
        .addColumn('custom_fields', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('user_profiles').execute();
    },
  },
};

export function toIso(value: string | Date): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
