import { toIso } from '../../core/db/dialect.js';
import type { ProviderPaymentStatus } from './providers/contract.js';
import type { PaymentRow, PaymentStatus } from './schema.js';

/** A payment as the API answers it. */
export interface Payment {
  id: string;
  provider: string;
  purpose: { kind: 'package' | 'plan'; key: string };
  title: string;
  amount: number;
  currency: string;
  credits: number | null;
  status: PaymentStatus;
  /** Where to send the payer while the payment is pending. */
  redirectUrl: string | null;
  providerPaymentId: string | null;
  createdAt: string;
  updatedAt: string;
}

export const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    provider: row.provider,
    purpose: { kind: row.purpose_kind, key: row.purpose_key },
    title: row.title,
    amount: Number(row.amount),
    currency: row.currency,
    credits: num(row.credits),
    status: row.status,
    redirectUrl: row.status === 'pending' ? row.redirect_url : null,
    providerPaymentId: row.provider_payment_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

export const FINAL: ReadonlySet<PaymentStatus> = new Set(['refunded', 'charged_back']);

/**
 * Where our payment goes when the provider reports `seen` for provider payment `pid`, or null to
 * leave it. Webhooks arrive late, twice and out of order, so the status only moves forward:
 * pending → approved | rejected → refunded | charged_back. A rejected checkout may still be
 * approved (the payer retried with another card: a new provider payment, same reference). An
 * older "pending" after "approved" changes nothing; a refund only applies to the provider
 * payment that was approved.
 */
export function nextStatus(current: PaymentStatus, recordedPid: string | null, pid: string, seen: ProviderPaymentStatus): PaymentStatus | null {
  if (FINAL.has(current)) return null;
  switch (seen) {
    case 'pending':
      return null;
    case 'approved':
      return current === 'pending' || current === 'rejected' ? 'approved' : null;
    case 'rejected':
      return current === 'pending' ? 'rejected' : null;
    case 'refunded':
    case 'charged_back':
      // A refund of a payment we never saw approved still ends the checkout; of another attempt than the approved one, nothing.
      if (current === 'approved') return recordedPid === pid ? seen : null;
      return seen;
  }
}
