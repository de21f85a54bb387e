import type { ProviderPayment, ProviderPaymentStatus } from '../contract.js';

/**
 * Mercado Pago's documents as its REST API sends them (the parts we read). Amounts are decimal
 * numbers in major units (`transaction_amount: 10.5` ARS); ours are integer minor units.
 */
export interface MpPayment {
  id: number;
  status: string;
  status_detail?: string;
  external_reference?: string | null;
  transaction_amount: number;
  transaction_amount_refunded?: number;
  currency_id: string;
  date_created?: string;
  date_approved?: string | null;
  date_last_updated?: string;
  live_mode?: boolean;
  payer?: { email?: string | null; id?: string | null };
  metadata?: Record<string, unknown>;
}

export interface MpPreference {
  id: string;
  init_point: string;
  sandbox_init_point: string;
  external_reference?: string;
  collector_id?: number;
}

export interface MpRefund {
  id: number;
  payment_id: number;
  amount: number;
  status: string;
}

export interface MpSearch<T> {
  paging: { total: number; limit: number; offset: number };
  results: T[];
}

/** The webhook body (topic `payment`); `data.id` is also in the query string, and that one is signed. */
export interface MpNotification {
  action?: string;
  api_version?: string;
  data?: { id?: string | number };
  date_created?: string;
  id?: string | number;
  live_mode?: boolean;
  type?: string;
  user_id?: string | number;
}

/** Decimal places of an ISO 4217 currency (ARS 2, CLP 0), as the runtime's Intl knows them. */
export function exponentOf(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export const toMajor = (minor: number, currency: string) => minor / 10 ** exponentOf(currency);
export const toMinor = (major: number, currency: string) => Math.round(major * 10 ** exponentOf(currency));

/**
 * Mercado Pago's payment statuses onto ours. `in_process`, `authorized` and `in_mediation` (a
 * dispute under review) decide nothing yet; `cancelled` (expired, or cancelled by the seller) is
 * a payment that will never be paid.
 */
export function mapStatus(status: string): ProviderPaymentStatus {
  switch (status) {
    case 'approved':
      return 'approved';
    case 'rejected':
    case 'cancelled':
      return 'rejected';
    case 'refunded':
      return 'refunded';
    case 'charged_back':
      return 'charged_back';
    default:
      return 'pending';
  }
}

export function toProviderPayment(p: MpPayment): ProviderPayment {
  return {
    providerPaymentId: String(p.id),
    reference: p.external_reference || null,
    status: mapStatus(p.status),
    amount: toMinor(p.transaction_amount, p.currency_id),
    currency: p.currency_id.toUpperCase(),
    refundedAmount: p.transaction_amount_refunded ? toMinor(p.transaction_amount_refunded, p.currency_id) : undefined,
    providerStatus: p.status_detail ? `${p.status}/${p.status_detail}` : p.status,
    raw: p,
  };
}
