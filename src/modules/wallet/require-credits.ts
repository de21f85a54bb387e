import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleContext } from '../../core/module.js';
import { unauthorized } from '../../core/http/problem.js';
import type { WalletConfig } from './config.js';
import { ownerOfActor } from './owner.js';
import type { WalletService } from './service.js';

export interface RequireCreditsOptions {
  /** The reason written on the transfer (default: `METHOD /route`). */
  reason?: string;
  /** Charge the active organization's wallet instead of the caller's own. */
  tenant?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The hold requireCredits took for this request (captured or released as the answer leaves). */
    walletCharge?: { holdId: string; cost: number; settled: boolean };
  }
}

/**
 * "Require credits" for a route, done as a hold: before the handler, `cost` credits are held
 * (409 insufficient_credits, and the handler never runs, when the caller lacks them); when
 * the answer leaves, a success (status < 400) captures them and any error (4xx or 5xx: the
 * request changed nothing, the kernel's rule) releases them. A replayed Idempotency-Key answer
 * is not charged again. If the process dies mid-request, the hold expires by itself
 * (modules.wallet.requestHoldSeconds): a crash never charges the caller.
 *
 * The cost comes from `modules.wallet.routeCosts['METHOD /path']` when configured (so an
 * operator can reprice a route without a deploy), else from the argument; 0 charges nothing.
 */
export function requireCreditsHandler(wallet: WalletService, ctx: ModuleContext<WalletConfig>, cost: number | undefined, opts: RequireCreditsOptions) {
  return async function requireCredits(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
    const amount = ctx.config.routeCosts[route] ?? cost ?? 0;
    if (amount <= 0) return;
    const actor = await request.actor();
    if (!actor) throw unauthorized('authentication_required');
    const owner = ownerOfActor(actor, opts.tenant);
    const hold = await wallet.hold(owner, { amount, ttlMs: ctx.config.requestHoldSeconds * 1000, reason: opts.reason ?? route });
    request.walletCharge = { holdId: hold.id, cost: amount, settled: false };
    // Fastify has no per-request hook: settle when the answer has left (or the client went away).
    reply.raw.once('finish', () => void settleCharge(wallet, request, reply, ctx.log, true));
    reply.raw.once('close', () => void settleCharge(wallet, request, reply, ctx.log, false));
  };
}

/**
 * Settles the request's hold once its answer has left: capture on success, release otherwise.
 * Never throws: the answer is already sent; a failed settlement is logged and the hold
 * expires by itself (released: the request is then not charged).
 */
export async function settleCharge(wallet: WalletService, request: FastifyRequest, reply: FastifyReply, log: ModuleContext['log'], delivered: boolean): Promise<void> {
  const charge = request.walletCharge;
  if (!charge || charge.settled) return;
  charge.settled = true;
  const replayed = reply.getHeader('idempotent-replayed') === 'true';
  // A client that went away before the answer was written is not charged.
  try {
    if (reply.statusCode < 400 && !replayed && delivered) await wallet.capture(charge.holdId);
    else await wallet.release(charge.holdId);
  } catch (err) {
    log.error({ err, holdId: charge.holdId }, 'could not settle the credits hold of a request; it will expire by itself');
  }
}
