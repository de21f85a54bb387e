import type { Migration } from 'kysely';
import { columnTypes, TABLES, userOwnedTables } from '../schema.js';

/**
 * Tables and columns of the better-auth plugins (two-factor, organization, jwt), snake_case like
 * the core ones. The migrations always run, whatever is switched on in the config, so turning a
 * feature on later is a flip. PLUGIN_SCHEMAS maps better-auth's field names onto these columns.
 */
export const PLUGIN_TABLES = {
  twoFactors: 'auth_two_factors',
  organizations: 'auth_organizations',
  members: 'auth_members',
  invitations: 'auth_invitations',
  jwks: 'auth_jwks',
} as const;

/** better-auth `schema` options of each plugin. */
export const PLUGIN_SCHEMAS = {
  twoFactor: {
    user: { fields: { twoFactorEnabled: 'two_factor_enabled' } },
    twoFactor: {
      modelName: PLUGIN_TABLES.twoFactors,
      fields: {
        backupCodes: 'backup_codes',
        userId: 'user_id',
        failedVerificationCount: 'failed_verification_count',
        lockedUntil: 'locked_until',
      },
    },
  },
  organization: {
    session: { fields: { activeOrganizationId: 'active_organization_id' } },
    organization: { modelName: PLUGIN_TABLES.organizations, fields: { createdAt: 'created_at' } },
    member: {
      modelName: PLUGIN_TABLES.members,
      fields: { organizationId: 'organization_id', userId: 'user_id', createdAt: 'created_at' },
    },
    invitation: {
      modelName: PLUGIN_TABLES.invitations,
      fields: {
        organizationId: 'organization_id',
        expiresAt: 'expires_at',
        createdAt: 'created_at',
        inviterId: 'inviter_id',
      },
    },
  },
  phoneNumber: {
    user: { fields: { phoneNumber: 'phone_number', phoneNumberVerified: 'phone_number_verified' } },
  },
  jwt: {
    jwks: {
      modelName: PLUGIN_TABLES.jwks,
      fields: { publicKey: 'public_key', privateKey: 'private_key', createdAt: 'created_at', expiresAt: 'expires_at' },
    },
  },
} as const;

/** Plugin tables keyed by user_id whose rows go when an account is anonymized. */
export const pluginUserOwnedTables = [PLUGIN_TABLES.twoFactors, PLUGIN_TABLES.members];

export const pluginMigrations: Record<string, Migration> = {
  '0002_two_factor': {
    async up(db) {
      const t = columnTypes(db);
      await db.schema.alterTable(TABLES.users).addColumn('two_factor_enabled', t.bool, (c) => c.notNull().defaultTo(false)).execute();
      await db.schema
        .createTable(PLUGIN_TABLES.twoFactors)
        .addColumn('id', 'text', (c) => c.primaryKey())
        // Both encrypted with the auth secret (better-auth's symmetric encryption).
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('backup_codes', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references(`${TABLES.users}.id`).onDelete('cascade'))
        .addColumn('verified', t.bool, (c) => c.notNull().defaultTo(true))
        .addColumn('failed_verification_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', t.date)
        .execute();
      // One enrolment per user, even when two enable requests race.
      await db.schema.createIndex('auth_two_factors_user_id_uq').on(PLUGIN_TABLES.twoFactors).column('user_id').unique().execute();
    },
    async down(db) {
      await db.schema.dropTable(PLUGIN_TABLES.twoFactors).ifExists().execute();
      await db.schema.alterTable(TABLES.users).dropColumn('two_factor_enabled').execute();
    },
  },
  '0003_organizations': {
    async up(db) {
      const t = columnTypes(db);
      await db.schema
        .createTable(PLUGIN_TABLES.organizations)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('logo', 'text')
        .addColumn('metadata', 'text')
        .addColumn('created_at', t.date, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable(PLUGIN_TABLES.members)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references(`${PLUGIN_TABLES.organizations}.id`).onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references(`${TABLES.users}.id`).onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull().defaultTo('member'))
        .addColumn('created_at', t.date, (c) => c.notNull())
        .execute();
      // A user is a member once per organization, even when two invitations are accepted at once.
      await db.schema
        .createIndex('auth_members_org_user_uq')
        .on(PLUGIN_TABLES.members)
        .columns(['organization_id', 'user_id'])
        .unique()
        .execute();
      await db.schema.createIndex('auth_members_user_id_idx').on(PLUGIN_TABLES.members).column('user_id').execute();
      await db.schema
        .createTable(PLUGIN_TABLES.invitations)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references(`${PLUGIN_TABLES.organizations}.id`).onDelete('cascade'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('role', 'text')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('expires_at', t.date, (c) => c.notNull())
        .addColumn('created_at', t.date, (c) => c.notNull())
        .addColumn('inviter_id', 'text', (c) => c.notNull().references(`${TABLES.users}.id`).onDelete('cascade'))
        .execute();
      await db.schema.createIndex('auth_invitations_email_idx').on(PLUGIN_TABLES.invitations).column('email').execute();
      await db.schema.alterTable(TABLES.sessions).addColumn('active_organization_id', 'text').execute();
    },
    async down(db) {
      await db.schema.alterTable(TABLES.sessions).dropColumn('active_organization_id').execute();
      for (const table of [PLUGIN_TABLES.invitations, PLUGIN_TABLES.members, PLUGIN_TABLES.organizations]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  },
  '0004_jwks': {
    async up(db) {
      const t = columnTypes(db);
      await db.schema
        .createTable(PLUGIN_TABLES.jwks)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('public_key', 'text', (c) => c.notNull())
        // Encrypted with the auth secret; never served.
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('created_at', t.date, (c) => c.notNull())
        .addColumn('expires_at', t.date)
        .addColumn('alg', 'text')
        .addColumn('crv', 'text')
        .execute();
    },
    async down(db) {
      await db.schema.dropTable(PLUGIN_TABLES.jwks).ifExists().execute();
    },
  },
  // The phone-number plugin's user fields (sign-in and verification codes by SMS/WhatsApp, otp.ts).
  // One account per number: the plugin signs in by number, so a duplicate would be ambiguous.
  '0005_phone_number': {
    async up(db) {
      const t = columnTypes(db);
      await db.schema.alterTable(TABLES.users).addColumn('phone_number', 'text').execute();
      await db.schema.alterTable(TABLES.users).addColumn('phone_number_verified', t.bool, (c) => c.notNull().defaultTo(false)).execute();
      await db.schema.createIndex('auth_users_phone_number_uq').on(TABLES.users).column('phone_number').unique().execute();
    },
    async down(db) {
      await db.schema.dropIndex('auth_users_phone_number_uq').ifExists().execute();
      await db.schema.alterTable(TABLES.users).dropColumn('phone_number_verified').execute();
      await db.schema.alterTable(TABLES.users).dropColumn('phone_number').execute();
    },
  },
};

// schema.ts invites plugins to append their user-owned tables (AuthService.anonymizeUser).
for (const table of pluginUserOwnedTables) if (!userOwnedTables.includes(table)) userOwnedTables.push(table);
