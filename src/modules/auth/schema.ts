import type { Migration } from 'kysely';
import type { Db } from '../../core/db/database.js';
import { columnTypes as dialectColumnTypes, dialectOf } from '../../core/db/dialect.js';

/**
 * better-auth's tables, created by our migrations (not by `auth migrate`) so that one migrator
 * owns the database on both dialects. Names are snake_case like every Neptuno table; the
 * mapping below tells better-auth which physical name each of its fields has. A test compares
 * these tables with better-auth's own expectations (schema.test.ts), and better-auth validates
 * the schema itself on first use, so a drift fails loudly.
 *
 * Plugins that add tables or user fields (two-factor, organizations, jwt…) pass the same kind
 * of mapping through their `schema` option and add a migration here.
 */
export const TABLES = {
  users: 'auth_users',
  sessions: 'auth_sessions',
  accounts: 'auth_accounts',
  verifications: 'auth_verifications',
} as const;

/**
 * Tables with a `user_id` column whose rows go when an account is anonymized. Plugins that add
 * such tables (two-factor…) append theirs here.
 */
export const userOwnedTables: string[] = [TABLES.sessions, TABLES.accounts];

/** better-auth model options (modelName + field names) for the core tables. */
export const modelNames = {
  user: {
    modelName: TABLES.users,
    fields: { emailVerified: 'email_verified', createdAt: 'created_at', updatedAt: 'updated_at' },
  },
  session: {
    modelName: TABLES.sessions,
    fields: {
      expiresAt: 'expires_at',
      createdAt: 'created_at',
      updatedAt: 'updated_at',
      ipAddress: 'ip_address',
      userAgent: 'user_agent',
      userId: 'user_id',
    },
  },
  account: {
    modelName: TABLES.accounts,
    fields: {
      accountId: 'account_id',
      providerId: 'provider_id',
      userId: 'user_id',
      accessToken: 'access_token',
      refreshToken: 'refresh_token',
      idToken: 'id_token',
      accessTokenExpiresAt: 'access_token_expires_at',
      refreshTokenExpiresAt: 'refresh_token_expires_at',
      createdAt: 'created_at',
      updatedAt: 'updated_at',
    },
  },
  verification: {
    modelName: TABLES.verifications,
    fields: { expiresAt: 'expires_at', createdAt: 'created_at', updatedAt: 'updated_at' },
  },
} as const;

/** Column types as better-auth writes them: SQLite keeps booleans as 0/1 and dates as ISO text. */
export function columnTypes(db: Db) {
  return {
    // better-auth's own SQLite schema says `date` (ISO text is what it stores either way).
    date: dialectOf(db) === 'postgres' ? ('timestamptz' as const) : ('date' as const),
    bool: dialectColumnTypes(db).boolean,
  };
}

export const authMigrations: Record<string, Migration> = {
  '0001_core': {
    async up(db) {
      const t = columnTypes(db);
      await db.schema
        .createTable(TABLES.users)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('email_verified', t.bool, (c) => c.notNull().defaultTo(false))
        .addColumn('image', 'text')
        // Role names come from `roles` in neptuno.yaml; checked by the service, not the database.
        .addColumn('role', 'text', (c) => c.notNull().defaultTo('user'))
        .addColumn('created_at', t.date, (c) => c.notNull())
        .addColumn('updated_at', t.date, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable(TABLES.sessions)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'text', (c) => c.notNull().references(`${TABLES.users}.id`).onDelete('cascade'))
        .addColumn('expires_at', t.date, (c) => c.notNull())
        .addColumn('ip_address', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('created_at', t.date, (c) => c.notNull())
        .addColumn('updated_at', t.date, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('auth_sessions_user_id_idx').on(TABLES.sessions).column('user_id').execute();

      await db.schema
        .createTable(TABLES.accounts)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('provider_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references(`${TABLES.users}.id`).onDelete('cascade'))
        .addColumn('access_token', 'text')
        .addColumn('refresh_token', 'text')
        .addColumn('id_token', 'text')
        .addColumn('access_token_expires_at', t.date)
        .addColumn('refresh_token_expires_at', t.date)
        .addColumn('scope', 'text')
        .addColumn('password', 'text')
        .addColumn('created_at', t.date, (c) => c.notNull())
        .addColumn('updated_at', t.date, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('auth_accounts_user_id_idx').on(TABLES.accounts).column('user_id').execute();
      // One provider identity belongs to one user, even if two sign-ins race.
      await db.schema
        .createIndex('auth_accounts_provider_account_uq')
        .on(TABLES.accounts)
        .columns(['provider_id', 'account_id'])
        .unique()
        .execute();

      await db.schema
        .createTable(TABLES.verifications)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('expires_at', t.date, (c) => c.notNull())
        .addColumn('created_at', t.date, (c) => c.notNull())
        .addColumn('updated_at', t.date, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('auth_verifications_identifier_idx')
        .on(TABLES.verifications)
        .column('identifier')
        .execute();
    },
    async down(db) {
      for (const table of [TABLES.verifications, TABLES.accounts, TABLES.sessions, TABLES.users]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  },
};
