import { organization } from 'better-auth/plugins/organization';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { sendAuthEmail } from './emails.js';
import { PLUGIN_SCHEMAS, PLUGIN_TABLES } from './plugins/migrations.js';

/**
 * Tenants are better-auth organizations (members with the roles owner/admin/member, and
 * invitations). Off by default (`modules.auth.tenants.enabled`): single-tenant apps get no
 * organization endpoints and every actor has `tenantId: null`. On: `POST /v1/auth/organization/
 * set-active` puts an organization the user belongs to in the session, and it becomes
 * `Actor.tenantId` and the `tenant` claim of service JWTs. Modules scope their queries with the
 * kernel's helpers (src/core/db/tenant.ts: scopeToTenant, tenantValue, requireTenant).
 */
export function organizationPlugin(ctx: ModuleContext<AuthConfig>) {
  const cfg = ctx.config.tenants;
  return organization({
    allowUserToCreateOrganization: cfg.allowUserToCreate
      ? true
      : (user) => ctx.access.permissionsOf((user as unknown as { role?: string }).role ?? null).includes('*'),
    membershipLimit: cfg.membershipLimit,
    invitationExpiresIn: cfg.invitationExpiresIn,
    cancelPendingInvitationsOnReInvite: true,
    requireEmailVerificationOnInvitation: true,
    schema: PLUGIN_SCHEMAS.organization,
    sendInvitationEmail: async ({ id, email, organization: org, inviter }, request) => {
      const url = new URL(`/accept-invitation?id=${encodeURIComponent(id)}`, ctx.appConfig.server.publicUrl).toString();
      await sendAuthEmail(ctx, 'invitation', email, { inviter: inviter.user.name, organization: org.name, url }, request);
    },
  });
}

/**
 * The tenant of a session: its active organization, when tenants are on and the user is still
 * a member. better-auth leaves `activeOrganizationId` in place when a member leaves or is removed
 * (only the caller's own session is cleared), so membership is checked here on every request
 * rather than trusted from the session row.
 */
export async function activeTenant(
  ctx: ModuleContext<AuthConfig>,
  userId: string,
  session: { activeOrganizationId?: string | null },
): Promise<string | null> {
  const orgId = session.activeOrganizationId;
  if (!ctx.config.tenants.enabled || !orgId) return null;
  const member = await ctx.db
    .selectFrom(PLUGIN_TABLES.members)
    .select('id')
    .where('organization_id', '=', orgId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return member ? orgId : null;
}
