import { PostgresAdapter, type Kysely, type Migration } from 'kysely';

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
  expires_at: string | Date | null;
  last_used_at: string | Date | null;
  created_at: string | Date;
  revoked_at: string | Date | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const timestampType = (db: Kysely<any>) => (db.getExecutor().adapter instanceof PostgresAdapter ? 'timestamptz' : 'text');

export const migrations: Record<string, Migration> = {
  '0001_api_keys': {
    async up(db) {
      const ts = timestampType(db);
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

export function toIso(value: string | Date): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
export const toIsoOrNull = (value: string | Date | null) => (value === null ? null : toIso(value));
