/**
 * What payments needs from other modules, typed here by shape (a module never imports another's
 * files). The wallet and plans declare the real services; these are the parts payments calls,
 * as fixed in the cross-team contract (docs/payments.md).
 */
import type { Services } from '../../core/module.js';

export type WalletOwner = { userId: string } | { guestId: string } | { tenantId: string };

export interface CreditPackage {
  key: string;
  credits: number;
  price: { amount: number; currency: string };
  names: { es: string; en: string };
  active: boolean;
}

export interface WalletPort {
  grant(
    owner: WalletOwner,
    input: { amount: number; kind: 'paid' | 'promotional'; source: string; reason: string; metadata?: Record<string, unknown> },
  ): Promise<{ transferId: string; created: boolean; balance: number }>;
  reverse(source: string, input: { reason: string }): Promise<{ reversed: number; debt: number }>;
  getPackage?(key: string): Promise<CreditPackage | undefined | null>;
}

export interface Plan {
  key: string;
  names: { es: string; en: string };
  price: { amount: number; currency: string };
  interval: 'month' | 'year';
  trialDays?: number;
  active?: boolean;
  providers?: { stripe?: { priceId?: string } };
}

export interface PlansPort {
  getPlan(key: string): Promise<Plan | undefined | null>;
}

/** The wallet and plans services when their modules run (either may be off). */
export function ports(services: Services): { wallet?: WalletPort; plans?: PlansPort } {
  const s = services as unknown as { wallet?: WalletPort; plans?: PlansPort };
  return { wallet: s.wallet, plans: s.plans };
}
