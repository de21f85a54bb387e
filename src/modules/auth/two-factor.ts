import type { FastifyRequest } from 'fastify';
import { twoFactor } from 'better-auth/plugins/two-factor';
import type { ModuleContext } from '../../core/module.js';
import { tooManyRequests } from '../../core/http/problem.js';
import type { AuthConfig } from './config.js';
import { PLUGIN_SCHEMAS } from './plugins/migrations.js';
import { accountKey, ipKey } from './rate-limit.js';
import type { AuthRuntime } from './runtime.js';
import { TABLES } from './schema.js';

/**
 * TOTP second factor (RFC 6238) with backup codes, on better-auth's `twoFactor` plugin:
 * - POST /two-factor/enable {password} -> {totpURI, backupCodes}; 2FA is on once the first code
 *   is confirmed with POST /two-factor/verify-totp (a session is needed for both);
 * - sign-in of an enrolled user answers {twoFactorRedirect: true} and a short-lived signed
 *   `two_factor` cookie instead of a session; POST /two-factor/verify-totp or
 *   /two-factor/verify-backup-code with that cookie creates the session;
 * - POST /two-factor/disable {password}; POST /two-factor/generate-backup-codes {password}.
 * Secrets and backup codes are stored encrypted with the auth secret. A backup code works once.
 */
export function twoFactorPlugin(config: AuthConfig) {
  const cfg = config.twoFactor;
  return twoFactor({
    issuer: cfg.issuer,
    totpOptions: { digits: cfg.digits, period: cfg.period },
    backupCodeOptions: { amount: cfg.backupCodes, length: 10, storeBackupCodes: 'encrypted' },
    // Enrolment counts only once the user proved their app produces the right codes.
    skipVerificationOnEnable: false,
    schema: PLUGIN_SCHEMAS.twoFactor,
  });
}

/** better-auth paths (relative to /v1/auth) where a second-factor code is guessed. */
export const TWO_FACTOR_VERIFY_PATHS = ['/two-factor/verify-totp', '/two-factor/verify-backup-code', '/two-factor/verify-otp'];

/** The `two_factor` challenge cookie's name (better-auth's, prefixed like the session cookie). */
export function twoFactorCookieName(ctx: ModuleContext<AuthConfig>): string {
  const secure = ctx.appConfig.env !== 'development';
  return `${secure ? '__Secure-' : ''}${ctx.config.cookies.prefix}.two_factor`;
}

/**
 * The user a verification attempt targets: the pending sign-in challenge (two_factor cookie ->
 * verification row -> user id) or the caller's session (enrolment). The cookie's signature is
 * checked by better-auth afterwards; here an unknown identifier simply maps to no account.
 */
async function targetUser(ctx: ModuleContext<AuthConfig>, runtime: AuthRuntime, request: FastifyRequest): Promise<string | null> {
  const raw = request.cookies?.[twoFactorCookieName(ctx)];
  if (raw) {
    const identifier = raw.slice(0, Math.max(0, raw.lastIndexOf('.')));
    if (!identifier) return null;
    const row = await ctx.db
      .selectFrom(TABLES.verifications)
      .select('value')
      .where('identifier', '=', identifier)
      .executeTakeFirst();
    return row?.value ?? null;
  }
  const actor = await request.actor();
  return actor?.type === 'user' ? actor.id : null;
}

/**
 * Neptuno's per-IP and per-account budget (`rateLimit.twoFactor`) for second-factor guesses,
 * in ctx.rateLimiter so it holds across replicas. better-auth adds its own database-backed
 * lockout (5 attempts per challenge, 10 failures per account locks it for 15 minutes).
 * Returns the account key so a correct code can clear it.
 */
export async function enforceTwoFactorLimit(
  ctx: ModuleContext<AuthConfig>,
  runtime: AuthRuntime,
  request: FastifyRequest,
): Promise<string | null> {
  if (!ctx.config.rateLimit.enabled) return null;
  const rules = ctx.config.rateLimit.twoFactor;
  const byIp = await ctx.rateLimiter.hit(ipKey('twoFactor', request.ip), rules.ip);
  if (!byIp.allowed) throw tooManyRequests(byIp.retryAfterMs);
  const userId = await targetUser(ctx, runtime, request);
  if (!userId) return null;
  const key = accountKey('twoFactor', userId);
  const byAccount = await ctx.rateLimiter.hit(key, rules.account);
  if (!byAccount.allowed) throw tooManyRequests(byAccount.retryAfterMs);
  return key;
}
