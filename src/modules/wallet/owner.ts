import type { Actor } from '../../core/http/access.js';
import { badRequest, forbidden } from '../../core/http/problem.js';
import type { OwnerType } from './schema.js';

/** Whose wallet: a user's, a guest's (guests hold credits too) or a tenant's (an organization's). */
export type WalletOwner = { userId: string } | { guestId: string } | { tenantId: string };

const PREFIX: Record<OwnerType, string> = { user: 'u:', guest: 'g:', tenant: 't:' };

/**
 * System accounts, the other side of every transfer. Their balances are not kept in a row (every
 * spend of every wallet would queue on it); they are sums of their entries (`wallet verify`).
 */
export const SYSTEM = {
  /** Paid credits come from here (a provider payment, a package bought). */
  purchases: 'sys:purchases',
  /** Promotional credits (coupons, rewards, sign-up gifts) come from here. */
  promotions: 'sys:promotions',
  /** Credits spent go here. */
  spent: 'sys:spent',
  /** Credits clawed back by a reversal (refund, chargeback) go here. */
  refunds: 'sys:refunds',
  /** Credits whose grant expired go here. */
  expired: 'sys:expired',
  /** Admin corrections, both ways. */
  adjustments: 'sys:adjustments',
} as const;

export interface ResolvedOwner {
  type: OwnerType;
  id: string;
  /** The wallet's account id. */
  accountId: string;
}

/** The account id of an owner, checked (`u:<userId>`); a bad owner is a 400 `invalid_wallet_owner`. */
export function resolveOwner(owner: WalletOwner): ResolvedOwner {
  const o = owner as Record<string, unknown> | null;
  const keys = o && typeof o === 'object' ? Object.keys(o).filter((k) => o[k] !== undefined) : [];
  const type: OwnerType | null =
    keys.length !== 1 ? null : keys[0] === 'userId' ? 'user' : keys[0] === 'guestId' ? 'guest' : keys[0] === 'tenantId' ? 'tenant' : null;
  const id = type ? o![keys[0]] : null;
  if (!type || typeof id !== 'string' || id.length === 0 || id.length > 255) throw badRequest('invalid_wallet_owner');
  return { type, id, accountId: PREFIX[type] + id };
}

/** The account id holding an owner's debt (a reversal of credits already spent): its balance is −debt. */
export function debtAccountOf(accountId: string): string {
  return `debt:${accountId}`;
}

/** The owner back from its row's columns. */
export function ownerFromRow(type: OwnerType, id: string): WalletOwner {
  return type === 'user' ? { userId: id } : type === 'guest' ? { guestId: id } : { tenantId: id };
}

/**
 * The caller's own wallet: a user's or a guest's; with `tenant: true`, the active organization's
 * (403 tenant_required without one). Service actors (the admin token) have no wallet.
 */
export function ownerOfActor(actor: Actor, tenant = false): WalletOwner {
  if (tenant) {
    if (!actor.tenantId) throw forbidden('tenant_required');
    return { tenantId: actor.tenantId };
  }
  if (actor.type === 'user') return { userId: actor.id };
  if (actor.type === 'guest') return { guestId: actor.id };
  throw forbidden('wallet_owner_required');
}
