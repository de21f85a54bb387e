import { toIso } from '../../core/db/dialect.js';
import type { TransferRow } from './schema.js';

/** A transfer as the wallet's owner sees it (GET /v1/wallet/transactions). */
export interface WalletTransaction {
  id: string;
  kind: string;
  /** Signed change of the balance: +100 for a grant, −5 for a spend. */
  amount: number;
  /** Signed change of the debt (a reversal of spent credits: +n; a settlement: −n). */
  debtChange: number;
  counterparty: string;
  reason: string;
  source: string | null;
  ref: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

export function toTransaction(r: TransferRow): WalletTransaction {
  let metadata: Record<string, unknown> | null = null;
  if (r.metadata) {
    try {
      metadata = JSON.parse(r.metadata) as Record<string, unknown>;
    } catch {
      metadata = null;
    }
  }
  return {
    id: r.id,
    kind: r.kind,
    amount: Number(r.amount),
    debtChange: Number(r.debt_change),
    counterparty: r.counterparty,
    reason: r.reason,
    source: r.source,
    ref: r.ref,
    metadata,
    createdAt: toIso(r.created_at),
  };
}
