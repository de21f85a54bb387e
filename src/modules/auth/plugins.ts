import type { BetterAuthPlugin } from 'better-auth';
import { bearer } from 'better-auth/plugins/bearer';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';

/**
 * better-auth plugins in use. Each feature plugin (two-factor, social/OIDC, organizations, JWT)
 * lives in its own file under ./plugins/ and is added here. A plugin that adds tables or user
 * fields must map them to snake_case through its `schema` option (see schema.ts) and bring a
 * migration; schema.test.ts then proves the tables match.
 */
export function authPlugins(_ctx: ModuleContext<AuthConfig>, _config: AuthConfig): BetterAuthPlugin[] {
  return [
    // `Authorization: Bearer <session token>` for SDKs and mobile apps; sign-in answers carry the
    // token in the body and in the `set-auth-token` header.
    bearer(),
  ];
}
