import { sql } from 'kysely';
import { lockKey } from '../../core/db/dialect.js';
import { conflict } from '../../core/http/problem.js';
import { emitMovement } from './ledger-events.js';
import type { LedgerDeps } from './ledger-expiry.js';
import { changeAccount, ensureAccount, postTransfer } from './ledger.js';
import { newId } from '../../core/ids.js';
import { debtAccountOf, SYSTEM, type ResolvedOwner } from './owner.js';
import type { BucketKind, LedgerTrx } from './schema.js';

export interface GrantInput {
  amount: number;
  kind: BucketKind;
  /** Unique: a second grant with the same source returns the first (payment ids, coupon redemptions…). */
  source: string;
  reason: string;
  /** ISO time, in the future. */
  expiresAt: string | null;
  priority: number;
  metadata: Record<string, unknown> | null;
  actorId?: string | null;
  /** The transfer's kind (default `grant`); an admin's correction is `adjust` (ledger-adjust.ts). */
  transferKind?: 'grant' | 'adjust';
  /** The system account the credits come from (default: purchases for paid, promotions for promotional). */
  counterparty?: 'purchases' | 'promotions' | 'adjustments';
}

export interface GrantResult {
  transferId: string;
  /** false: this source had already been granted (nothing written this time). */
  created: boolean;
  balance: number;
}

/**
 * Serializes every transaction about one source until it ends (a PostgreSQL advisory lock; SQLite
 * runs one write transaction at a time), so "is it there yet?" then "insert" cannot race. The
 * unique index on wallet_transfers.source stays the last line of defence. Probing instead of
 * catching the unique violation matters on PostgreSQL: a failed insert would abort the caller's
 * whole transaction (a payment's, which grants inside its own ctx.tx).
 */
export async function lockSource(trx: LedgerTrx, deps: LedgerDeps, source: string): Promise<void> {
  await lockKey(trx, deps.dialect, `wallet:source:${source}`);
}

export async function transferBySource(trx: LedgerTrx, source: string) {
  return trx.selectFrom('wallet_transfers').selectAll().where('source', '=', source).executeTakeFirst();
}

export async function balanceOf(trx: LedgerTrx, accountId: string): Promise<number> {
  const row = await trx.selectFrom('wallet_accounts').select('balance').where('id', '=', accountId).executeTakeFirst();
  return Number(row?.balance ?? 0);
}

/**
 * Credits a wallet once per source: a bucket remembering kind, expiry and priority, and a
 * transfer from `purchases` (paid) or `promotions` (promotional). If the wallet owes a debt
 * (a reversal of credits already spent), the new credits settle it first, in a `settle`
 * transfer of their own.
 */
export async function grantIn(trx: LedgerTrx, deps: LedgerDeps, owner: ResolvedOwner, g: GrantInput, now: string): Promise<GrantResult> {
  const kind = g.transferKind ?? 'grant';
  await lockSource(trx, deps, g.source);
  const existing = await transferBySource(trx, g.source);
  if (existing) {
    if (existing.kind !== kind || existing.account_id !== owner.accountId || Number(existing.amount) !== g.amount) {
      throw conflict('wallet_source_conflict', { params: { source: g.source } });
    }
    return { transferId: existing.id, created: false, balance: await balanceOf(trx, owner.accountId) };
  }
  await ensureAccount(trx, owner, now);
  const bucketId = newId();
  const counterparty = g.counterparty ?? (g.kind === 'paid' ? 'purchases' : 'promotions');
  const transferId = await postTransfer(
    trx,
    { kind, accountId: owner.accountId, amount: g.amount, counterparty, source: g.source, reason: g.reason, metadata: g.metadata, actorId: g.actorId },
    [
      { accountId: SYSTEM[counterparty], amount: -g.amount },
      { accountId: owner.accountId, bucketId, amount: g.amount },
    ],
    now,
  );
  await trx
    .insertInto('wallet_buckets')
    .values({ id: bucketId, account_id: owner.accountId, kind: g.kind, granted: g.amount, remaining: g.amount, priority: g.priority, expires_at: g.expiresAt, transfer_id: transferId, created_at: now })
    .execute();
  let state = await changeAccount(trx, deps.dialect, owner.accountId, { balance: g.amount, earlierExpiry: g.expiresAt ?? undefined }, now);
  emitMovement(trx, owner, 'credited', { transferId, kind, amount: g.amount, balance: state.balance, debt: state.debt, reason: g.reason, source: g.source }, deps.lowBalanceThreshold);

  if (state.debt > 0) {
    const settle = Math.min(g.amount, state.debt);
    await trx.updateTable('wallet_buckets').set({ remaining: sql`remaining - ${settle}` }).where('id', '=', bucketId).execute();
    const settleId = await postTransfer(
      trx,
      { kind: 'settle', accountId: owner.accountId, amount: -settle, debtChange: -settle, counterparty: 'debt', reason: 'Debt settled from new credits', ref: transferId },
      [
        { accountId: owner.accountId, bucketId, amount: -settle },
        { accountId: debtAccountOf(owner.accountId), amount: settle },
      ],
      now,
    );
    state = await changeAccount(trx, deps.dialect, owner.accountId, { balance: -settle, debt: -settle }, now);
    emitMovement(trx, owner, 'debited', { transferId: settleId, kind: 'settle', amount: settle, balance: state.balance, debt: state.debt, reason: 'Debt settled from new credits', source: null }, deps.lowBalanceThreshold);
  }
  return { transferId, created: true, balance: state.balance };
}
