import type { ModuleContext } from '../../core/module.js';
import { configuredOrigins } from '../../core/http/csrf.js';
import type { AuthConfig } from './config.js';

/** Header carrying Fastify's request.ip to better-auth; client-sent values are dropped. */
export const CLIENT_IP_HEADER = 'x-neptuno-client-ip';

/**
 * Origins trusted for cookie sessions: the kernel's (server.publicUrl, server.cors.origins, the
 * development loopback origins; core/http/csrf.ts) plus modules.auth.trustedOrigins. The kernel
 * enforces them on every Neptuno route (module.ts hands them over); better-auth gets the same
 * list for its own endpoints and for callbackURL/redirectTo checks.
 */
export function trustedOrigins(ctx: ModuleContext<AuthConfig>): string[] {
  return [...new Set([...configuredOrigins(ctx.appConfig), ...ctx.config.trustedOrigins.map((o) => o.replace(/\/+$/, ''))])];
}
