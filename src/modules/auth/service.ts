import { generateId } from 'better-auth';
import type { ModuleContext } from '../../core/module.js';
import { isUniqueViolation } from '../../core/db/database.js';
import { badRequest, conflict, notFound } from '../../core/http/problem.js';
import type { AuthConfig } from './config.js';
import { afterUserCreated } from './hooks.js';
import { hashPassword } from './password.js';
import { TABLES, userOwnedTables } from './schema.js';
import { PLUGIN_TABLES } from './plugins/migrations.js';
import { assertPasswordPolicy, isValidEmail, isValidName } from './validation.js';
import { boolValue, toIso } from '../../core/db/dialect.js';

export interface AuthUser {
  id: string;
  email: string;
  name: string;
  image: string | null;
  role: string;
  emailVerified: boolean;
  /** E.164 number from the phone-number plugin (otp.ts); null when none. */
  phoneNumber: string | null;
  phoneNumberVerified: boolean;
  createdAt: string;
}

export interface CreateUserInput {
  email: string;
  password: string;
  name: string;
  role?: string;
  /** Admin-created accounts (create-admin) may start verified. Default false. */
  emailVerified?: boolean;
}


/**
 * What other modules may do with accounts (ctx.services.auth). Writes go straight to our tables
 * in one transaction; they are the same tables better-auth reads, with no cache in between.
 */
export class AuthService {
  constructor(
    private readonly ctx: ModuleContext<AuthConfig>,
    /** Forgets cached session actors on every replica (session-cache.ts): after any change they hold. */
    private readonly forgetSessions: () => Promise<void> = async () => {},
  ) {}

  private now(): Date | string {
    return this.ctx.dialect === 'postgres' ? new Date() : new Date().toISOString();
  }

  async getUser(id: string): Promise<AuthUser | null> {
    const row = await this.ctx.db.selectFrom(TABLES.users).selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id,
      email: row.email,
      name: row.name,
      image: row.image ?? null,
      role: row.role,
      emailVerified: Boolean(row.email_verified),
      phoneNumber: (row.phone_number as string | null | undefined) ?? null,
      phoneNumberVerified: Boolean(row.phone_number_verified),
      createdAt: toIso(row.created_at),
    };
  }

  /** Users' display names (their `name`), by id, in one query; unknown ids are absent. For boards and lists shown to others. */
  async displayNames(ids: readonly string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await this.ctx.db.selectFrom(TABLES.users).select(['id', 'name']).where('id', 'in', [...ids]).execute();
    return new Map(rows.map((r) => [r.id as string, r.name as string]));
  }

  async updateUser(id: string, patch: { name?: string; image?: string | null }): Promise<void> {
    const values: Record<string, unknown> = {};
    if (patch.name !== undefined) {
      if (!isValidName(patch.name)) throw badRequest('validation_failed', { errors: [{ pointer: '/name', code: 'invalid_name', detail: 'invalid name' }] });
      values.name = patch.name;
    }
    if (patch.image !== undefined) {
      if (patch.image !== null && (patch.image.length > 2048 || /\p{Cc}/u.test(patch.image) || !URL.canParse(patch.image))) {
        throw badRequest('validation_failed', { errors: [{ pointer: '/image', code: 'invalid_image', detail: 'invalid image URL' }] });
      }
      values.image = patch.image;
    }
    if (!Object.keys(values).length) return;
    const res = await this.ctx.db
      .updateTable(TABLES.users)
      .set({ ...values, updated_at: this.now() })
      .where('id', '=', id)
      .executeTakeFirst();
    if (!res.numUpdatedRows) throw notFound('user_not_found');
  }

  /**
   * Replaces everything that identifies the person with anonymous values and deletes sessions
   * (IP addresses, user agents), linked accounts, the 2FA secret and backup codes, memberships,
   * invitations sent to their address and pending tokens; keeps the id so other modules' rows
   * still join. The 2FA flag goes too: an anonymous account has no second factor to ask for.
   */
  async anonymizeUser(id: string): Promise<void> {
    const bool = (v: boolean) => boolValue(this.ctx.dialect, v);
    await this.ctx.tx(async (trx) => {
      const current = await trx.selectFrom(TABLES.users).select('email').where('id', '=', id).executeTakeFirst();
      if (!current) throw notFound('user_not_found');
      await trx
        .updateTable(TABLES.users)
        .set({
          // Unique and undeliverable (RFC 2606 .invalid), so the address can be registered again.
          email: `deleted-${id.toLowerCase()}@deleted.invalid`,
          name: 'Deleted user',
          image: null,
          email_verified: bool(false),
          two_factor_enabled: bool(false),
          // Freed for whoever owns the number next; nothing on record keeps it.
          phone_number: null,
          phone_number_verified: bool(false),
          updated_at: this.now(),
        })
        .where('id', '=', id)
        .execute();
      for (const table of userOwnedTables) await trx.deleteFrom(table).where('user_id', '=', id).execute();
      // Invitations addressed to them name them by email.
      await trx.deleteFrom(PLUGIN_TABLES.invitations).where('email', '=', current.email).execute();
      // Pending password-reset, 2FA-challenge and trusted-device tokens hold the user id as their value.
      await trx.deleteFrom(TABLES.verifications).where('value', '=', id).execute();
      await this.ctx.audit.record({ action: 'users.anonymized', target: { type: 'user', id } }, trx);
    });
    await this.forgetSessions();
  }

  /** Ends every session of the user at once (sign out everywhere). */
  async revokeSessions(userId: string): Promise<void> {
    await this.ctx.tx(async (trx) => {
      const res = await trx.deleteFrom(TABLES.sessions).where('user_id', '=', userId).executeTakeFirst();
      await this.ctx.audit.record({ action: 'auth.sessions_revoked', target: { type: 'user', id: userId }, after: { sessions: Number(res.numDeletedRows) } }, trx);
    });
    await this.forgetSessions();
  }

  /** The account with this email (case-insensitive), or null: admin tools and spreadsheet imports name people by email. */
  async findByEmail(email: string): Promise<{ id: string; role: string | null } | null> {
    const row = await this.ctx.db
      .selectFrom(TABLES.users)
      .select(['id', 'role'])
      .where('email', '=', email.trim().toLowerCase())
      .executeTakeFirst();
    return row ? { id: row.id as string, role: (row.role as string | null) ?? null } : null;
  }

  /** Creates a user with a password (CLI create-admin, admin tools). 409 email_taken on a duplicate. */
  async createUser(input: CreateUserInput): Promise<{ id: string }> {
    const email = input.email.trim().toLowerCase();
    if (!isValidEmail(email)) throw badRequest('validation_failed', { errors: [{ pointer: '/email', code: 'format', detail: 'invalid email' }] });
    if (!isValidName(input.name)) throw badRequest('validation_failed', { errors: [{ pointer: '/name', code: 'invalid_name', detail: 'invalid name' }] });
    assertPasswordPolicy(input.password, '/password', this.ctx.config);
    const role = input.role ?? 'user';
    this.assertRole(role);

    const id = generateId();
    const passwordHash = await hashPassword(input.password);
    const now = this.now();
    const verified = input.emailVerified ?? false;
    try {
      await this.ctx.tx(async (trx) => {
        await trx
          .insertInto(TABLES.users)
          .values({
            id,
            name: input.name,
            email,
            email_verified: boolValue(this.ctx.dialect, verified),
            image: null,
            role,
            created_at: now,
            updated_at: now,
          })
          .execute();
        // The same shape better-auth writes for an email+password account.
        await trx
          .insertInto(TABLES.accounts)
          .values({ id: generateId(), account_id: id, provider_id: 'credential', user_id: id, password: passwordHash, created_at: now, updated_at: now })
          .execute();
        await this.ctx.audit.record({ action: 'users.created', target: { type: 'user', id }, after: { role, emailVerified: verified } }, trx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('email_taken');
      throw err;
    }
    await afterUserCreated(this.ctx, { id, email });
    return { id };
  }

  async setRole(userId: string, role: string): Promise<void> {
    this.assertRole(role);
    await this.ctx.tx(async (trx) => {
      const before = await trx.selectFrom(TABLES.users).select('role').where('id', '=', userId).executeTakeFirst();
      if (!before) throw notFound('user_not_found');
      await trx.updateTable(TABLES.users).set({ role, updated_at: this.now() }).where('id', '=', userId).execute();
      await this.ctx.audit.record({ action: 'users.role_changed', target: { type: 'user', id: userId }, before: { role: before.role }, after: { role } }, trx);
    });
    await this.forgetSessions();
  }

  /**
   * One page of account ids, in id order, for fan-out to an audience (notifications to every
   * user, a role or a tenant's members). `after`: the last id of the previous page. Anonymized
   * (deleted) accounts are skipped: they have no one left to tell.
   */
  async userIdsPage(filter: { role?: string; tenantId?: string }, after: string | null, limit: number): Promise<string[]> {
    let q = this.ctx.db.selectFrom(`${TABLES.users} as u`).select('u.id').where('u.email', 'not like', 'deleted-%@deleted.invalid');
    if (filter.role !== undefined) q = q.where('u.role', '=', filter.role);
    if (filter.tenantId !== undefined) {
      q = q.where('u.id', 'in', this.ctx.db.selectFrom(PLUGIN_TABLES.members).select('user_id').where('organization_id', '=', filter.tenantId));
    }
    if (after !== null) q = q.where('u.id', '>', after);
    const rows = await q.orderBy('u.id').limit(limit).execute();
    return rows.map((r) => r.id as string);
  }

  private assertRole(role: string): void {
    if (!Object.hasOwn(this.ctx.appConfig.roles, role)) throw badRequest('unknown_role', { params: { role } });
  }
}
