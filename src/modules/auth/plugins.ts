import type { BetterAuthPlugin } from 'better-auth';
import { bearer } from 'better-auth/plugins/bearer';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { jwtPlugin } from './jwt.js';
import { oidcPlugin } from './social.js';
import { signInPlugin } from './sign-in.js';
import { auditPlugin } from './audit.js';
import { organizationPlugin } from './tenancy.js';
import { twoFactorPlugin } from './two-factor.js';
import type { OneTimeCodes } from './otp.js';

/**
 * better-auth plugins in use, each configured in a file of its own (two-factor.ts, social.ts,
 * tenancy.ts, jwt.ts). A plugin that adds tables or user fields maps them to snake_case through
 * its `schema` option and brings a migration (plugins/migrations.ts). A feature switched off in
 * the config is not loaded at all, so its endpoints do not exist (404).
 */
export function authPlugins(ctx: ModuleContext<AuthConfig>, config: AuthConfig, codes: OneTimeCodes): BetterAuthPlugin[] {
  const plugins: BetterAuthPlugin[] = [
    // `Authorization: Bearer <session token>` for SDKs and mobile apps; sign-in answers carry the
    // token in the body and in the `set-auth-token` header.
    bearer(),
  ];
  if (config.twoFactor.enabled) plugins.push(twoFactorPlugin(config) as unknown as BetterAuthPlugin);
  const oidc = oidcPlugin(config);
  if (oidc) plugins.push(oidc as unknown as BetterAuthPlugin);
  if (config.tenants.enabled) plugins.push(organizationPlugin(ctx) as unknown as BetterAuthPlugin);
  if (config.jwt.enabled) plugins.push(jwtPlugin(ctx) as unknown as BetterAuthPlugin);
  plugins.push(...codes.plugins());
  // Last: its after-hook must see what the others (two-factor above all) left of the new session.
  plugins.push(signInPlugin(ctx), auditPlugin(ctx));
  return plugins;
}
