import { notFound } from '../../core/http/problem.js';
import { loadBuckets, takeFromBuckets } from './buckets.js';
import { emitMovement } from './ledger-events.js';
import type { LedgerDeps } from './ledger-expiry.js';
import { lockSource, transferBySource } from './ledger-grant.js';
import { changeAccount, lockAccount, postTransfer, type Leg } from './ledger.js';
import { debtAccountOf, SYSTEM, type ResolvedOwner } from './owner.js';
import type { LedgerTrx, OwnerType } from './schema.js';

export interface ReverseResult {
  /** Credits taken back from the wallet's balance. */
  reversed: number;
  /** Credits the wallet could not give back (already spent or reserved): recorded as its debt. */
  debt: number;
  /** The reversal's transfer; null when nothing was left to reverse (the grant fully expired). */
  transferId: string | null;
}

/** The source a reversal of `source` is recorded under (unique, so a reversal happens once). */
export const reversalSource = (source: string) => `reverse:${source}`;

/**
 * Claws back a grant (a refund or chargeback of the payment that bought it): the grant's credits
 * still available leave the wallet (its own grant first, then others in spending order), and
 * whatever was already spent becomes an explicit debt (a transfer to the wallet's debt account),
 * never a negative balance. Credits of that grant that had expired are not owed. Once per source.
 */
export async function reverseIn(trx: LedgerTrx, deps: LedgerDeps, source: string, reason: string, actorId: string | null, now: string): Promise<ReverseResult & { owner: ResolvedOwner | null }> {
  await lockSource(trx, deps, source);
  const grant = await transferBySource(trx, source);
  if (!grant || grant.kind !== 'grant') throw notFound('wallet_grant_not_found', { params: { source } });
  const account = await trx.selectFrom('wallet_accounts').select(['owner_type', 'owner_id']).where('id', '=', grant.account_id).executeTakeFirstOrThrow();
  const owner: ResolvedOwner = { type: account.owner_type as OwnerType, id: account.owner_id, accountId: grant.account_id };
  const done = await transferBySource(trx, reversalSource(source));
  if (done) return { reversed: -Number(done.amount), debt: Number(done.debt_change), transferId: done.id, owner };

  const state = (await lockAccount(trx, deps.dialect, owner.accountId))!;
  const bucket = await trx.selectFrom('wallet_buckets').select(['id']).where('transfer_id', '=', grant.id).executeTakeFirst();
  // Expire transfers name their bucket in `ref`; their amounts are negative.
  const expired = bucket
    ? await trx
        .selectFrom('wallet_transfers')
        .select((eb) => eb.fn.sum<number | string | null>('amount').as('s'))
        .where('ref', '=', bucket.id)
        .where('kind', '=', 'expire')
        .executeTakeFirst()
    : undefined;
  const owed = Number(grant.amount) + Number(expired?.s ?? 0);
  if (owed <= 0) return { reversed: 0, debt: 0, transferId: null, owner };

  const take = Math.min(owed, Math.max(0, state.balance - state.held));
  const debt = owed - take;
  const buckets = await loadBuckets(trx, deps.dialect, owner.accountId, now);
  // The grant's own credits go first.
  buckets.sort((a, b) => Number(b.id === bucket?.id) - Number(a.id === bucket?.id));
  const legs: Leg[] = take > 0 ? await takeFromBuckets(trx, owner.accountId, buckets, take) : [];
  if (debt > 0) legs.push({ accountId: debtAccountOf(owner.accountId), amount: -debt });
  legs.push({ accountId: SYSTEM.refunds, amount: owed });
  const transferId = await postTransfer(
    trx,
    { kind: 'reverse', accountId: owner.accountId, amount: -take, debtChange: debt, counterparty: 'refunds', source: reversalSource(source), reason, ref: grant.id, actorId },
    legs,
    now,
  );
  const after = await changeAccount(trx, deps.dialect, owner.accountId, { balance: -take, debt }, now);
  emitMovement(trx, owner, 'debited', { transferId, kind: 'reverse', amount: take, balance: after.balance, debt: after.debt, reason, source: reversalSource(source) }, deps.lowBalanceThreshold);
  return { reversed: take, debt, transferId, owner };
}

