import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ModuleContext } from '../../core/module.js';
import { tooManyRequests } from '../../core/http/problem.js';
import type { AuthConfig, RateLimitGroup } from './config.js';

/**
 * Per-IP and per-account limits on the endpoints attackers hammer. Counters live in
 * ctx.rateLimiter (Redis at scale), so a limit holds in total across replicas. The IP is
 * Fastify's request.ip, which honours server.trustProxy.
 *
 * Sign-in adds a budget per (account, IP) pair and makes the per-account budget a slower,
 * global one that an address the owner signed in from before is exempt from: a guesser at one
 * address, or spread over many, cannot lock the owner out by spending the account's budget.
 */
export interface GuardedEndpoint {
  group: RateLimitGroup;
  /** The account a request targets (normalized email), when the body names one. */
  account?: (body: Record<string, unknown>, request: FastifyRequest) => string | undefined;
}

const email = (body: Record<string, unknown>) => (typeof body.email === 'string' ? body.email.trim().toLowerCase() : undefined);
const phone = (body: Record<string, unknown>) => (typeof body.phoneNumber === 'string' ? body.phoneNumber.trim() : undefined);

/** Paths relative to /v1/auth. The two-factor plugin adds its verification paths here. */
export const GUARDED_ENDPOINTS: Record<string, GuardedEndpoint> = {
  '/sign-in/email': { group: 'signIn', account: email },
  '/sign-up/email': { group: 'signUp', account: email },
  '/request-password-reset': { group: 'passwordReset', account: email },
  '/reset-password': { group: 'passwordReset' },
  '/send-verification-email': { group: 'verificationEmail', account: email },
  // One-time codes (otp.ts): asking for one, and entering one.
  '/email-otp/send-verification-otp': { group: 'otpSend', account: email },
  '/phone-number/send-otp': { group: 'otpSend', account: phone },
  '/sign-in/email-otp': { group: 'otpVerify', account: email },
  '/email-otp/verify-email': { group: 'otpVerify', account: email },
  '/email-otp/check-verification-otp': { group: 'otpVerify', account: email },
  '/phone-number/verify': { group: 'otpVerify', account: phone },
  '/sign-in/phone-number': { group: 'signIn', account: phone },
};

const hashed = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 32);

export const accountKey = (group: RateLimitGroup, account: string) => `auth:${group}:acct:${hashed(account)}`;
export const ipKey = (group: RateLimitGroup, ip: string) => `auth:${group}:ip:${ip}`;
/** The (account, IP) pair's sign-in budget. */
export const pairKey = (account: string, ip: string) => `auth:signIn:pair:${hashed(`${account}\n${ip}`)}`;
/** Cache key marking `ip` as an address `account` completed a sign-in from. */
const knownIpKey = (account: string, ip: string) => `auth:known-ip:${hashed(`${account}\n${ip}`)}`;

const normalize = (account: string) => account.trim().toLowerCase();

/**
 * Counts one attempt against the endpoint's IP and account budgets; throws 429 with Retry-After
 * when one is spent. A completed sign-in clears its (account, IP) budget (rememberSignIn).
 */
export async function enforceRateLimit(ctx: ModuleContext<AuthConfig>, path: string, request: FastifyRequest): Promise<void> {
  const guarded = GUARDED_ENDPOINTS[path];
  if (!guarded || !ctx.config.rateLimit.enabled) return;
  const group = guarded.group;
  const rules = ctx.config.rateLimit[group];
  const byIp = await ctx.rateLimiter.hit(ipKey(group, request.ip), rules.ip);
  if (!byIp.allowed) throw tooManyRequests(byIp.retryAfterMs);
  const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
  const account = guarded.account?.(body, request);
  if (!account) return;
  if ('accountIp' in rules) {
    const byPair = await ctx.rateLimiter.hit(pairKey(account, request.ip), rules.accountIp);
    if (!byPair.allowed) throw tooManyRequests(byPair.retryAfterMs);
  }
  const byAccount = await ctx.rateLimiter.hit(accountKey(group, account), rules.account);
  if (byAccount.allowed) return;
  // The account's global budget is spent (many addresses guessing): its owner's usual address
  // still gets through, held back only by its own pair budget above.
  if (group === 'signIn' && (await isKnownIp(ctx, account, request.ip))) return;
  throw tooManyRequests(byAccount.retryAfterMs);
}

async function isKnownIp(ctx: ModuleContext<AuthConfig>, account: string, ip: string): Promise<boolean> {
  if (!ctx.config.rateLimit.knownIpDays) return false;
  try {
    return (await ctx.cache.get(knownIpKey(account, ip))) !== undefined;
  } catch (err) {
    ctx.log.warn({ err }, 'known sign-in address lookup failed');
    return false;
  }
}

/**
 * A sign-in completed from `ip`: the owner's own typos from there no longer count (the pair
 * budget is cleared) and the address becomes known to the account for `knownIpDays`. The
 * account's global budget is left alone: clearing it would hand a distributed guesser a fresh
 * budget every time the owner signs in.
 */
export async function rememberSignIn(ctx: ModuleContext<AuthConfig>, email: string, ip: string | null): Promise<void> {
  if (!ctx.config.rateLimit.enabled || !ip) return;
  const account = normalize(email);
  await ctx.rateLimiter.reset(pairKey(account, ip));
  const days = ctx.config.rateLimit.knownIpDays;
  if (days) await ctx.cache.set(knownIpKey(account, ip), 1, days * 86_400_000);
}
