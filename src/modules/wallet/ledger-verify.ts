import { sql } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import { timestampParam } from '../../core/db/dialect.js';
import { maintainIn, type LedgerDeps } from './ledger-expiry.js';
import type { LedgerDb, LedgerTrx, OwnerType } from './schema.js';

export interface VerifyProblem {
  /** Which rule failed: transfer_unbalanced, balance_mismatch, debt_mismatch, bucket_mismatch, buckets_vs_balance, held_mismatch, transfer_without_entries. */
  check: string;
  /** The transfer, account or bucket concerned. */
  id: string;
  expected: number;
  actual: number;
}

export interface VerifyReport {
  ok: boolean;
  checkedAt: string;
  accounts: number;
  transfers: number;
  entries: number;
  problems: VerifyProblem[];
}

const LIMIT = 100;

/**
 * Proves the ledger adds up, with aggregate queries that run on both dialects:
 * every transfer's entries sum to zero; every wallet's cached balance equals the sum of its
 * entries, and its debt the negated sum of its debt account's; every bucket's remainder equals
 * its entries; a wallet's buckets add up to its balance; `held` equals its active holds.
 * Reports at most 100 problems per rule.
 */
export async function verifyLedger(db: LedgerDb): Promise<VerifyReport> {
  const checkedAt = new Date().toISOString();
  const problems: VerifyProblem[] = [];
  const push = (check: string, rows: Array<{ id: string; expected: unknown; actual: unknown }>) => {
    for (const r of rows) problems.push({ check, id: r.id, expected: Number(r.expected ?? 0), actual: Number(r.actual ?? 0) });
  };

  const unbalanced = await db
    .selectFrom('wallet_entries')
    .select((eb) => ['transfer_id as id', sql<number>`0`.as('expected'), eb.fn.sum<number>('amount').as('actual')])
    .groupBy('transfer_id')
    .having((eb) => eb.fn.sum('amount'), '<>', 0)
    .limit(LIMIT)
    .execute();
  push('transfer_unbalanced', unbalanced);

  const lonely = await db
    .selectFrom('wallet_transfers as t')
    .leftJoin('wallet_entries as e', 'e.transfer_id', 't.id')
    .select(['t.id as id', sql<number>`2`.as('expected'), sql<number>`count(e.id)`.as('actual')])
    .groupBy('t.id')
    .having(sql`count(e.id)`, '<', 2)
    .limit(LIMIT)
    .execute();
  push('transfer_without_entries', lonely);

  const sums = (prefix: string) =>
    db
      .selectFrom('wallet_entries')
      .select((eb) => [sql<string>`account_id`.as('account_id'), eb.fn.sum<number>('amount').as('s')])
      .where('account_id', 'like', `${prefix}%`)
      .groupBy('account_id')
      .as('e');

  const balances = await db
    .selectFrom('wallet_accounts as a')
    .leftJoin(
      db.selectFrom('wallet_entries').select((eb) => ['account_id', eb.fn.sum<number>('amount').as('s')]).groupBy('account_id').as('e'),
      'e.account_id',
      'a.id',
    )
    .select(['a.id as id', sql<number>`coalesce(e.s, 0)`.as('expected'), 'a.balance as actual'])
    .where(sql<boolean>`a.balance <> coalesce(e.s, 0)`)
    .limit(LIMIT)
    .execute();
  push('balance_mismatch', balances);

  const debts = await db
    .selectFrom('wallet_accounts as a')
    .leftJoin(sums('debt:'), (join) => join.on(sql<boolean>`e.account_id = 'debt:' || a.id`))
    .select(['a.id as id', sql<number>`-coalesce(e.s, 0)`.as('expected'), 'a.debt as actual'])
    .where(sql<boolean>`a.debt <> -coalesce(e.s, 0)`)
    .limit(LIMIT)
    .execute();
  push('debt_mismatch', debts);

  const buckets = await db
    .selectFrom('wallet_buckets as b')
    .leftJoin(
      db.selectFrom('wallet_entries').select((eb) => ['bucket_id', eb.fn.sum<number>('amount').as('s')]).where('bucket_id', 'is not', null).groupBy('bucket_id').as('e'),
      'e.bucket_id',
      'b.id',
    )
    .select(['b.id as id', sql<number>`coalesce(e.s, 0)`.as('expected'), 'b.remaining as actual'])
    .where(sql<boolean>`b.remaining <> coalesce(e.s, 0)`)
    .limit(LIMIT)
    .execute();
  push('bucket_mismatch', buckets);

  const byBuckets = await db
    .selectFrom('wallet_accounts as a')
    .leftJoin(
      db.selectFrom('wallet_buckets').select((eb) => ['account_id', eb.fn.sum<number>('remaining').as('s')]).groupBy('account_id').as('b'),
      'b.account_id',
      'a.id',
    )
    .select(['a.id as id', sql<number>`coalesce(b.s, 0)`.as('expected'), 'a.balance as actual'])
    .where(sql<boolean>`a.balance <> coalesce(b.s, 0)`)
    .limit(LIMIT)
    .execute();
  push('buckets_vs_balance', byBuckets);

  const held = await db
    .selectFrom('wallet_accounts as a')
    .leftJoin(
      db.selectFrom('wallet_holds').select((eb) => ['account_id', eb.fn.sum<number>('amount').as('s')]).where('status', '=', 'active').groupBy('account_id').as('h'),
      'h.account_id',
      'a.id',
    )
    .select(['a.id as id', sql<number>`coalesce(h.s, 0)`.as('expected'), 'a.held as actual'])
    .where(sql<boolean>`a.held <> coalesce(h.s, 0)`)
    .limit(LIMIT)
    .execute();
  push('held_mismatch', held);

  const count = async (table: 'wallet_accounts' | 'wallet_transfers' | 'wallet_entries') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return {
    ok: problems.length === 0,
    checkedAt,
    accounts: await count('wallet_accounts'),
    transfers: await count('wallet_transfers'),
    entries: await count('wallet_entries'),
    problems,
  };
}

/**
 * The expiry cron: every wallet with a hold or a grant past its time is brought up to date in
 * its own short transaction (maintainIn), in batches, so no transaction holds many wallets.
 */
export async function expireDue(ctx: ModuleContext<unknown>, deps: LedgerDeps): Promise<{ wallets: number }> {
  const db = ctx.db as unknown as LedgerDb;
  let wallets = 0;
  const seen = new Set<string>();
  for (let round = 0; round < 100; round++) {
    const now = new Date().toISOString();
    const at = timestampParam(deps.dialect, now);
    const holdAccounts = await db.selectFrom('wallet_holds').select('account_id').distinct().where('status', '=', 'active').where(sql<boolean>`expires_at <= ${at}`).limit(200).execute();
    const bucketAccounts = await db
      .selectFrom('wallet_accounts')
      .select('id as account_id')
      .where(sql<boolean>`next_expiry <= ${at}`)
      .limit(200)
      .execute();
    const due = [...new Set([...holdAccounts, ...bucketAccounts].map((r) => r.account_id))].filter((id) => !seen.has(id));
    if (!due.length) break;
    for (const accountId of due) {
      seen.add(accountId);
      const acc = await db.selectFrom('wallet_accounts').select(['owner_type', 'owner_id']).where('id', '=', accountId).executeTakeFirst();
      if (!acc) continue;
      await ctx.tx((trx) => maintainIn(trx as unknown as LedgerTrx, deps, { type: acc.owner_type as OwnerType, id: acc.owner_id, accountId }, now));
      wallets++;
    }
  }
  return { wallets };
}
