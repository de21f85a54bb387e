import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { PLUGIN_TABLES } from './plugins/migrations.js';
import { TABLES } from './schema.js';

/** SQLite stores better-auth's dates as ISO text, PostgreSQL as timestamptz. */
const iso = (v: unknown) => new Date(v instanceof Date ? v : String(v)).toISOString();

/**
 * The auth module's part of the privacy export (GET /v1/profile/export): the account, whether a
 * second factor is on (never its secret or backup codes), sessions, linked providers and
 * organization memberships. No password hashes or OAuth tokens: they are credentials, not data
 * about the person.
 */
export async function exportAuthData(ctx: ModuleContext<AuthConfig>, userId: string) {
  const user = await ctx.services.auth.getUser(userId);
  const flags = await ctx.db.selectFrom(TABLES.users).select('two_factor_enabled').where('id', '=', userId).executeTakeFirst();
  const sessions = await ctx.db
    .selectFrom(TABLES.sessions)
    .select(['created_at', 'expires_at', 'ip_address', 'user_agent'])
    .where('user_id', '=', userId)
    .execute();
  const accounts = await ctx.db.selectFrom(TABLES.accounts).select(['provider_id', 'created_at']).where('user_id', '=', userId).execute();
  const memberships = await ctx.db
    .selectFrom(`${PLUGIN_TABLES.members} as m`)
    .innerJoin(`${PLUGIN_TABLES.organizations} as o`, 'o.id', 'm.organization_id')
    .select(['m.organization_id', 'o.name', 'm.role', 'm.created_at'])
    .where('m.user_id', '=', userId)
    .orderBy('m.created_at')
    .execute();
  return {
    user,
    twoFactor: { enabled: Boolean(flags?.two_factor_enabled) },
    sessions: sessions.map((s) => ({ createdAt: iso(s.created_at), expiresAt: iso(s.expires_at), ipAddress: s.ip_address, userAgent: s.user_agent })),
    accounts: accounts.map((a) => ({ provider: a.provider_id, createdAt: iso(a.created_at) })),
    memberships: memberships.map((m) => ({ tenantId: m.organization_id, organization: m.name, role: m.role, joinedAt: iso(m.created_at) })),
  };
}
