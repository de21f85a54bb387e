import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ModuleContext } from '../../core/module.js';
import { tooManyRequests } from '../../core/http/problem.js';
import type { AuthConfig, RateLimitGroup } from './config.js';

/**
 * Per-IP and per-account limits on the endpoints attackers hammer. Counters live in
 * ctx.rateLimiter (Redis at scale), so a limit holds in total across replicas. The IP is
 * Fastify's request.ip, which honours server.trustProxy.
 */
export interface GuardedEndpoint {
  group: RateLimitGroup;
  /** The account a request targets (normalized email), when the body names one. */
  account?: (body: Record<string, unknown>, request: FastifyRequest) => string | undefined;
}

const email = (body: Record<string, unknown>) => (typeof body.email === 'string' ? body.email.trim().toLowerCase() : undefined);

/** Paths relative to /v1/auth. The two-factor plugin adds its verification paths here. */
export const GUARDED_ENDPOINTS: Record<string, GuardedEndpoint> = {
  '/sign-in/email': { group: 'signIn', account: email },
  '/sign-up/email': { group: 'signUp', account: email },
  '/request-password-reset': { group: 'passwordReset', account: email },
  '/reset-password': { group: 'passwordReset' },
  '/send-verification-email': { group: 'verificationEmail', account: email },
};

const hashed = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 32);

export const accountKey = (group: RateLimitGroup, account: string) => `auth:${group}:acct:${hashed(account)}`;
export const ipKey = (group: RateLimitGroup, ip: string) => `auth:${group}:ip:${ip}`;

/**
 * Counts one attempt against the endpoint's IP and account budgets; throws 429 with Retry-After
 * when either is spent. A completed sign-in clears the account's signIn budget (hooks.ts).
 */
export async function enforceRateLimit(
  ctx: ModuleContext<AuthConfig>,
  path: string,
  request: FastifyRequest,
): Promise<{ accountKey?: string; group?: RateLimitGroup }> {
  const guarded = GUARDED_ENDPOINTS[path];
  if (!guarded || !ctx.config.rateLimit.enabled) return {};
  const rules = ctx.config.rateLimit[guarded.group];
  const byIp = await ctx.rateLimiter.hit(ipKey(guarded.group, request.ip), rules.ip);
  if (!byIp.allowed) throw tooManyRequests(byIp.retryAfterMs);
  const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
  const account = guarded.account?.(body, request);
  if (!account) return { group: guarded.group };
  const key = accountKey(guarded.group, account);
  const byAccount = await ctx.rateLimiter.hit(key, rules.account);
  if (!byAccount.allowed) throw tooManyRequests(byAccount.retryAfterMs);
  return { accountKey: key, group: guarded.group };
}
