import { conflict } from '../../core/http/problem.js';
import { loadBuckets, takeFromBuckets } from './buckets.js';
import { emitMovement } from './ledger-events.js';
import { debitOrRefuse, type LedgerDeps } from './ledger-expiry.js';
import { balanceOf, lockSource, transferBySource } from './ledger-grant.js';
import { postTransfer } from './ledger.js';
import { SYSTEM, type ResolvedOwner } from './owner.js';
import type { LedgerTrx } from './schema.js';

export interface SpendInput {
  amount: number;
  reason: string;
  /** Unique if given: a second spend with the same source returns the first. */
  source?: string | null;
  metadata?: Record<string, unknown> | null;
  /** The transfer's kind (default `spend`); the shop records item purchases as `purchase`. */
  kind?: string;
  actorId?: string | null;
  ref?: string | null;
  /** The system account the credits go to (default `spent`); an admin's correction: `adjustments`. */
  counterparty?: 'spent' | 'adjustments';
}

export interface SpendResult {
  transferId: string;
  balance: number;
  available: number;
  /** false: a spend with this source already existed (nothing written this time). */
  created: boolean;
}

/**
 * Spends `amount` credits or refuses with 409 insufficient_credits, writing nothing: the
 * conditional update (balance − held ≥ amount) decides, so a balance never goes below zero
 * however many spends race. Then the credits are taken from the grants in spending order
 * (buckets.ts) and the transfer to `spent` is written.
 */
export async function spendIn(trx: LedgerTrx, deps: LedgerDeps, owner: ResolvedOwner, s: SpendInput, now: string): Promise<SpendResult> {
  if (s.source) {
    await lockSource(trx, deps, s.source);
    const existing = await transferBySource(trx, s.source);
    if (existing) {
      if (existing.account_id !== owner.accountId || Number(existing.amount) !== -s.amount) throw conflict('wallet_source_conflict', { params: { source: s.source } });
      const balance = await balanceOf(trx, owner.accountId);
      return { transferId: existing.id, balance, available: balance, created: false };
    }
  }
  const state = await debitOrRefuse(trx, deps, owner, s.amount, now);
  const buckets = await loadBuckets(trx, deps.dialect, owner.accountId, now);
  const legs = await takeFromBuckets(trx, owner.accountId, buckets, s.amount);
  const kind = s.kind ?? 'spend';
  const counterparty = s.counterparty ?? 'spent';
  const transferId = await postTransfer(
    trx,
    { kind, accountId: owner.accountId, amount: -s.amount, counterparty, source: s.source, reason: s.reason, metadata: s.metadata, actorId: s.actorId, ref: s.ref },
    [...legs, { accountId: SYSTEM[counterparty], amount: s.amount }],
    now,
  );
  emitMovement(trx, owner, 'debited', { transferId, kind, amount: s.amount, balance: state.balance, debt: state.debt, reason: s.reason, source: s.source ?? null }, deps.lowBalanceThreshold);
  return { transferId, balance: state.balance, available: state.balance - state.held, created: true };
}
