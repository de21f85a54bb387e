import type { Migration } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';

export interface UserProfileRow {
  user_id: string;
  locale: string | null;
  timezone: string | null;
  /** JSON object of the custom fields declared in neptuno.yaml. */
  custom_fields: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** This module's tables, for `typedDb<UsersTables>(ctx)`. */
export interface UsersTables {
  user_profiles: UserProfileRow;
}

export const migrations: Record<string, Migration> = {
  '0001_user_profiles': {
    async up(db) {
      const ts = columnTypes(db).timestamp;
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
