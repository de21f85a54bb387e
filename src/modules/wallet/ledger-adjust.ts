import { randomUUID } from 'node:crypto';
import { DEFAULT_PRIORITY } from './buckets.js';
import type { LedgerDeps } from './ledger-expiry.js';
import { grantIn } from './ledger-grant.js';
import { spendIn } from './ledger-spend.js';
import type { ResolvedOwner } from './owner.js';
import type { BucketKind, LedgerTrx } from './schema.js';

export interface AdjustInput {
  /** Signed: positive credits in, negative credits out (never 0). */
  amount: number;
  reason: string;
  /** The bucket kind of credits added (default promotional: an admin's gift is not money paid). */
  kind: BucketKind;
  /** The admin who asked (kept on the transfer's actor_id and in its metadata). */
  adminId: string;
}

export interface AdjustResult {
  transferId: string;
  amount: number;
  balance: number;
}

/**
 * An admin's correction, both ways through the `adjustments` system account, with the same
 * ledger paths as everything else: credits in are a grant (a bucket of `kind`, settling a debt
 * first), credits out a spend (taken from buckets in spending order; 409 insufficient_credits
 * with nothing written rather than a balance below zero). Transfer kind `adjust` either way;
 * each adjustment has a source of its own (`adjustment:<uuid>`), retries are the route's
 * Idempotency-Key.
 */
export async function adjustIn(trx: LedgerTrx, deps: LedgerDeps, owner: ResolvedOwner, a: AdjustInput, now: string): Promise<AdjustResult> {
  const source = `adjustment:${randomUUID()}`;
  const metadata = { adminId: a.adminId };
  if (a.amount > 0) {
    const g = await grantIn(
      trx,
      deps,
      owner,
      { amount: a.amount, kind: a.kind, source, reason: a.reason, expiresAt: null, priority: DEFAULT_PRIORITY, metadata, actorId: a.adminId, transferKind: 'adjust', counterparty: 'adjustments' },
      now,
    );
    return { transferId: g.transferId, amount: a.amount, balance: g.balance };
  }
  const s = await spendIn(trx, deps, owner, { amount: -a.amount, reason: a.reason, source, metadata, kind: 'adjust', actorId: a.adminId, counterparty: 'adjustments' }, now);
  return { transferId: s.transferId, amount: a.amount, balance: s.balance };
}
