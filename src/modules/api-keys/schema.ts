import type { Migration } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';

export interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  /** First characters of the secret, shown in lists so a user can tell keys apart. */
  prefix: string;
  /** SHA-256 of the whole secret, hex. */
  key_hash: string;
  /** JSON array of permissions, or null for "the owner's role, unrestricted". */
  scopes: string | null;
  rate_limit_per_minute: number;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** This module's tables, for `typedDb<ApiKeysTables>(ctx)`. */
export interface ApiKeysTables {
  api_keys: ApiKeyRow;
}

export const migrations: Record<string, Migration> = {
  '0001_api_keys': {
    async up(db) {
      const ts = columnTypes(db).timestamp;
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('prefix', 'varchar(32)', (c) => c.notNull())
        .addColumn('key_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('scopes', 'text')
        .addColumn('rate_limit_per_minute', 'integer', (c) => c.notNull())
        .addColumn('expires_at', ts)
        .addColumn('last_used_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('revoked_at', ts)
        .execute();
      await db.schema.createIndex('api_keys_user_idx').on('api_keys').columns(['user_id', 'created_at', 'id']).execute();
    },
    async down(db) {
      await db.schema.dropTable('api_keys').execute();
    },
  },
};
