import type { BetterAuthPlugin } from 'better-auth';
import { createAuthMiddleware } from 'better-auth/api';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { TABLES } from './schema.js';

/**
 * Security events into the audit log (docs/audit.md), from an endpoint after-hook: better-auth
 * owns the transactions of its endpoints and has committed them by then, so each entry is written
 * right after, in a transaction of its own; a failure to record is logged and never fails the
 * request. Entries hold the user's id, never the email typed in (a failed sign-in names the
 * account only when the email belongs to one). Successful sign-ins are recorded in hooks.ts
 * (afterSignIn), where a sign-in is known to be real.
 */
const SUCCESS: Record<string, string> = {
  '/change-password': 'auth.password_changed',
  '/reset-password': 'auth.password_reset',
  '/two-factor/enable': 'auth.two_factor_enabled',
  '/two-factor/disable': 'auth.two_factor_disabled',
  '/two-factor/generate-backup-codes': 'auth.backup_codes_regenerated',
  '/revoke-session': 'auth.session_revoked',
  '/revoke-sessions': 'auth.sessions_revoked',
  '/revoke-other-sessions': 'auth.sessions_revoked',
  '/sign-out': 'auth.signed_out',
};

const FAILURE: Record<string, string> = {
  '/sign-in/email': 'auth.sign_in_failed',
  '/sign-in/username': 'auth.sign_in_failed',
  '/two-factor/verify-totp': 'auth.two_factor_failed',
  '/two-factor/verify-backup-code': 'auth.two_factor_failed',
  '/two-factor/verify-otp': 'auth.two_factor_failed',
};

const failed = (returned: unknown) =>
  returned instanceof Error || (returned instanceof Response && returned.status >= 400) || (typeof returned === 'object' && returned !== null && 'statusCode' in returned && Number((returned as { statusCode: unknown }).statusCode) >= 400);

export function auditPlugin(ctx: ModuleContext<AuthConfig>): BetterAuthPlugin {
  const userIdByEmail = async (email: unknown) => {
    if (typeof email !== 'string' || email.length > 320) return null;
    const row = await ctx.db.selectFrom(TABLES.users).select('id').where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
    return (row?.id as string | undefined) ?? null;
  };
  return {
    id: 'neptuno-audit',
    hooks: {
      after: [
        {
          matcher: (c) => !!c.path && (c.path in SUCCESS || c.path in FAILURE),
          handler: createAuthMiddleware(async (actx) => {
            const path = actx.path;
            const returned = actx.context.returned;
            const userId = actx.context.session?.user?.id ?? null;
            try {
              if (failed(returned)) {
                const action = FAILURE[path];
                if (!action) return;
                const target = userId ?? (await userIdByEmail((actx.body as { email?: unknown } | undefined)?.email));
                const status = returned instanceof Error ? ((returned as { statusCode?: number }).statusCode ?? null) : null;
                await ctx.audit.record({ action, actor: null, target: target ? { type: 'user', id: target } : null, after: { status } });
              } else if (SUCCESS[path] && userId) {
                await ctx.audit.record({ action: SUCCESS[path], actor: { type: 'user', id: userId }, target: { type: 'user', id: userId } });
              }
            } catch (err) {
              ctx.log.error({ err, path }, 'could not record an audit entry');
            }
          }),
        },
      ],
    },
  };
}
