import { sql } from 'kysely';
import type { Dialect } from '../../core/db/database.js';
import { timestampParam, toIsoOrNull } from '../../core/db/dialect.js';
import type { Leg } from './ledger.js';
import type { BucketKind, BucketRow, LedgerTrx } from './schema.js';

/**
 * Buckets are what is left of each grant. Spending order (Formance's and Stripe's): the grant
 * expiring soonest first (grants that never expire last), then the lower `priority` number,
 * then promotional before paid (paid credits, bought with money, are kept longest: a refund
 * can then claw them back), then the oldest.
 */

export const DEFAULT_PRIORITY = 50;

export interface Bucket {
  id: string;
  kind: BucketKind;
  granted: number;
  remaining: number;
  priority: number;
  expiresAt: string | null;
  transferId: string;
  createdAt: string;
}

export function toBucket(r: BucketRow): Bucket {
  return {
    id: r.id,
    kind: r.kind,
    granted: Number(r.granted),
    remaining: Number(r.remaining),
    priority: Number(r.priority),
    expiresAt: toIsoOrNull(r.expires_at),
    transferId: r.transfer_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** The spending order above, as a comparator. */
export function spendOrder(a: Bucket, b: Bucket): number {
  if (a.expiresAt !== b.expiresAt) {
    if (a.expiresAt === null) return 1;
    if (b.expiresAt === null) return -1;
    return a.expiresAt < b.expiresAt ? -1 : 1;
  }
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.kind !== b.kind) return a.kind === 'promotional' ? -1 : 1;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : 1;
}

/**
 * The wallet's buckets with credits left, in spending order. `includeExpired`: also the ones
 * past their expiry that the sweep left because a hold reserves them (a capture spends those
 * first); a plain spend never touches an expired grant.
 */
export async function loadBuckets(trx: LedgerTrx, dialect: Dialect, accountId: string, now: string, includeExpired = false): Promise<Bucket[]> {
  const rows = await trx
    .selectFrom('wallet_buckets')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('remaining', '>', 0)
    .$if(!includeExpired, (q) => q.where(sql<boolean>`(expires_at is null or expires_at > ${timestampParam(dialect, now)})`))
    .execute();
  return rows.map(toBucket).sort(spendOrder);
}

/**
 * Takes `amount` from the buckets in order, writing each bucket's new remainder (guarded: a
 * bucket never goes below zero), and returns the wallet's legs (negative amounts). Throws if
 * the buckets do not cover it, which the wallet's balance check makes impossible: the ledger
 * is then inconsistent and the transaction must not commit.
 */
export async function takeFromBuckets(trx: LedgerTrx, accountId: string, buckets: Bucket[], amount: number): Promise<Leg[]> {
  const legs: Leg[] = [];
  let left = amount;
  for (const b of buckets) {
    if (left === 0) break;
    const take = Math.min(b.remaining, left);
    if (take <= 0) continue;
    const res = await trx
      .updateTable('wallet_buckets')
      .set({ remaining: sql`remaining - ${take}` })
      .where('id', '=', b.id)
      .where('remaining', '>=', take)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw new Error(`wallet bucket ${b.id} changed under a locked wallet`);
    b.remaining -= take;
    left -= take;
    legs.push({ accountId, bucketId: b.id, amount: -take });
  }
  if (left > 0) throw new Error(`wallet ${accountId}: buckets cover ${amount - left} of ${amount} credits; the balance cache disagrees with its buckets`);
  return legs;
}

/** The earliest expiry among buckets with credits left (the wallet's `next_expiry` hint). */
export async function earliestExpiry(trx: LedgerTrx, accountId: string): Promise<string | null> {
  const row = await trx
    .selectFrom('wallet_buckets')
    .select((eb) => eb.fn.min('expires_at').as('at'))
    .where('account_id', '=', accountId)
    .where('remaining', '>', 0)
    .executeTakeFirst();
  return toIsoOrNull(row?.at as string | Date | null | undefined);
}
