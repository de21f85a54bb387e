import { badRequest, forbidden, type FieldError } from '../../core/http/problem.js';
import type { ModuleContext } from '../../core/module.js';
import type { UsersConfig } from './config.js';
import { forUpdate, toIso, typedDb, typedTrx } from '../../core/db/dialect.js';
import type { UserProfileRow, UsersTables } from './schema.js';
import { checkAvatarUrl, checkCustomValue, checkName, checkTimezone, type CustomValue, type ProfilePatch } from './validate.js';

export interface Profile {
  id: string;
  email: string;
  name: string;
  avatarUrl: string | null;
  emailVerified: boolean;
  role: string;
  locale: string | null;
  timezone: string | null;
  /** Every declared custom field; null when unset. */
  custom: Record<string, CustomValue | null>;
  /** Required custom fields still unset (a client can prompt for them). */
  missingRequired: string[];
  createdAt: string;
}

/** Profile, export and account deletion. Name and avatar live in the auth user; the rest here. */
export class ProfileService {
  private readonly db;

  constructor(private readonly ctx: ModuleContext<UsersConfig>) {
    this.db = typedDb<UsersTables>(ctx);
  }

  private async authUser(userId: string) {
    const user = await this.ctx.services.auth.getUser(userId);
    // The admin token's service actor has no account, hence no profile.
    if (!user) throw forbidden('profile_users_only');
    return user;
  }

  private async row(userId: string): Promise<UserProfileRow | undefined> {
    return this.db.selectFrom('user_profiles').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  private customOf(row: UserProfileRow | undefined): Record<string, CustomValue> {
    return row ? (JSON.parse(row.custom_fields) as Record<string, CustomValue>) : {};
  }

  async get(userId: string): Promise<Profile> {
    const user = await this.authUser(userId);
    const row = await this.row(userId);
    const stored = this.customOf(row);
    const custom: Record<string, CustomValue | null> = {};
    const missingRequired: string[] = [];
    for (const [name, field] of Object.entries(this.ctx.config.customFields)) {
      custom[name] = stored[name] ?? null;
      if (field.required && custom[name] === null) missingRequired.push(name);
    }
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      avatarUrl: user.image,
      emailVerified: user.emailVerified,
      role: user.role,
      locale: row?.locale ?? null,
      timezone: row?.timezone ?? null,
      custom,
      missingRequired,
      createdAt: toIso(user.createdAt),
    };
  }

  /**
   * Validates the whole patch before writing anything, so bad input changes nothing. When the
   * patch touches `custom`, every required custom field must end up set.
   */
  async update(userId: string, patch: ProfilePatch): Promise<Profile> {
    await this.authUser(userId);
    const errors: FieldError[] = [];
    const authPatch: { name?: string; image?: string | null } = {};
    if (patch.name !== undefined) authPatch.name = checkName(patch.name, errors);
    if (patch.avatarUrl !== undefined) authPatch.image = patch.avatarUrl === null ? null : checkAvatarUrl(patch.avatarUrl, errors);
    const locale = patch.locale;
    if (locale != null && !this.ctx.config.locales.includes(locale)) {
      errors.push({ pointer: '/body/locale', code: 'enum', detail: `Must be one of: ${this.ctx.config.locales.join(', ')}` });
    }
    let timezone = patch.timezone;
    if (timezone != null) timezone = checkTimezone(timezone, errors);

    const fields = this.ctx.config.customFields;
    const customPatch: Record<string, CustomValue | null> = {};
    for (const [name, value] of Object.entries(patch.custom ?? {})) {
      const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
      if (!field) errors.push({ pointer: `/body/custom/${name}`, code: 'unknown_field', detail: 'Not a declared profile field' });
      else if (value === null) customPatch[name] = null;
      else customPatch[name] = checkCustomValue(name, field, value, errors) ?? null;
    }

    const current = await this.row(userId);
    const merged = { ...this.customOf(current), ...customPatch };
    if (patch.custom !== undefined) {
      for (const [name, field] of Object.entries(fields)) {
        if (field.required && (merged[name] === null || merged[name] === undefined) && !errors.some((e) => e.pointer === `/body/custom/${name}`)) {
          errors.push({ pointer: `/body/custom/${name}`, code: 'required', detail: 'This field is required' });
        }
      }
    }
    if (errors.length) throw badRequest('validation_failed', { errors });

    // The auth user first: nothing of ours is written if it fails. (Not inside our transaction:
    // on SQLite, auth shares the one connection and would wait for our transaction forever.)
    if (authPatch.name !== undefined || authPatch.image !== undefined) await this.ctx.services.auth.updateUser(userId, authPatch);

    if (locale !== undefined || timezone !== undefined || patch.custom !== undefined) {
      await this.ctx.tx(async (tx) => {
        const trx = typedTrx<UsersTables>(tx);
        const now = new Date().toISOString();
        await trx
          .insertInto('user_profiles')
          .values({ user_id: userId, custom_fields: '{}', created_at: now, updated_at: now })
          .onConflict((oc) => oc.column('user_id').doNothing())
          .execute();
        // Concurrent PATCHes of different custom fields must not overwrite each other.
        const row = await trx
          .selectFrom('user_profiles')
          .selectAll()
          .where('user_id', '=', userId)
          .$call(forUpdate(this.ctx.dialect))
          .executeTakeFirstOrThrow();
        const custom = { ...this.customOf(row), ...customPatch };
        for (const [k, v] of Object.entries(custom)) if (v === null) delete custom[k];
        await trx
          .updateTable('user_profiles')
          .set({
            ...(locale !== undefined && { locale }),
            ...(timezone !== undefined && { timezone }),
            custom_fields: JSON.stringify(custom),
            updated_at: now,
          })
          .where('user_id', '=', userId)
          .execute();
      });
    }
    return this.get(userId);
  }

  /** One document with what every enabled module holds about the user. */
  async export(userId: string): Promise<{ exportedAt: string; userId: string; modules: Record<string, unknown> }> {
    await this.authUser(userId);
    return { exportedAt: new Date().toISOString(), userId, modules: await this.ctx.privacy.exportUser(userId) };
  }

  /** This module's part of the export. */
  async exportOwn(userId: string): Promise<unknown> {
    const row = await this.row(userId);
    if (!row) return null;
    return {
      locale: row.locale,
      timezone: row.timezone,
      custom: this.customOf(row),
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
    };
  }

  /**
   * Anonymizes the account (auth keeps the id, drops email, name, sessions), deletes the profile
   * and emits `user.deleted`, all in one transaction (auth's joins it): every module erases or
   * anonymizes its rows when the kernel delivers the event, retried until each handler succeeds.
   */
  async deleteAccount(userId: string): Promise<void> {
    await this.authUser(userId);
    await this.ctx.tx(async (tx) => {
      await this.ctx.services.auth.anonymizeUser(userId);
      await typedTrx<UsersTables>(tx).deleteFrom('user_profiles').where('user_id', '=', userId).execute();
      tx.emit('user.deleted', { userId });
    });
  }
}
