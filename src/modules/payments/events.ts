import type { ProviderName, ProviderSubscriptionStatus, SubscriptionEventKind } from './providers/contract.js';

/** Payload of payment.succeeded / payment.failed / payment.refunded. */
export interface PaymentEvent {
  paymentId: string;
  provider: ProviderName;
  userId: string;
  tenantId: string | null;
  purpose: { kind: 'package' | 'plan'; key: string };
  /** Minor units. */
  amount: number;
  currency: string;
  /** The provider's payment id this event is about (a checkout may see several attempts). */
  providerPaymentId: string;
  /** payment.refunded only: 'refund' or 'chargeback'. */
  reason?: 'refund' | 'chargeback';
}

/** Payload of payment.subscription.changed / payment.subscription.trial_will_end. */
export interface SubscriptionChangedEvent {
  provider: ProviderName;
  providerSubscriptionId: string;
  planKey: string | null;
  owner: { userId?: string; tenantId?: string | null };
  status: ProviderSubscriptionStatus;
  currentPeriodEnd?: string;
  trialEnd?: string;
  cancelAtPeriodEnd?: boolean;
  /** The webhook kind that caused it (invoice.paid, updated, trial_will_end…). */
  cause: SubscriptionEventKind;
  customerId?: string;
  /** Our paymentId of the checkout that started the subscription, when known. */
  paymentId?: string;
}
