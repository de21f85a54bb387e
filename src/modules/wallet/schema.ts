import { sql, type Kysely, type Migration, type Transaction } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';
import type { TxConsequences } from '../../core/outbox/outbox.js';

/**
 * The ledger's tables (migration 0001). Amounts are integer credits in `bigint` columns: pg
 * returns them as strings, so every read goes through Number() (amounts stay far below 2^53).
 */

export type OwnerType = 'user' | 'guest' | 'tenant';
export type BucketKind = 'paid' | 'promotional';
/**
 * What a transfer did. The ledger core writes grant, spend, capture, reverse, expire and settle;
 * the shop side of the module adds its own kinds (purchase, adjust, merge…).
 */
export type TransferKind = string;
export type HoldStatus = 'active' | 'captured' | 'released' | 'expired';

/**
 * One wallet: a user's, a guest's or a tenant's. `id` is derived from the owner (`u:<userId>`,
 * `g:<guestId>`, `t:<tenantId>`), so a spend finds its row without a lookup. `balance` and
 * `debt` are caches of the ledger (sums of entries, see verify.ts); `held` is what active holds
 * reserve; `next_expiry` is a hint: no grant of this wallet expires before it.
 */
export interface AccountRow {
  id: string;
  owner_type: OwnerType;
  owner_id: string;
  balance: number | string;
  held: number | string;
  debt: number | string;
  next_expiry: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A grant's credits: what is left of it, its kind, expiry and priority (buckets.ts orders them). */
export interface BucketRow {
  id: string;
  account_id: string;
  kind: BucketKind;
  granted: number | string;
  remaining: number | string;
  /** Lower is spent first among grants expiring at the same time (Stripe's convention; default 50). */
  priority: number;
  expires_at: Timestamp | null;
  transfer_id: string;
  created_at: Timestamp;
}

/**
 * One movement, never updated or deleted. `account_id` is the wallet it concerns, `amount` the
 * signed change of its balance and `debt_change` of its debt; the double-entry detail is in
 * wallet_entries (which sum to zero per transfer). `source` is unique: a grant, a spend or a
 * reversal with a source happens at most once.
 */
export interface TransferRow {
  id: string;
  kind: TransferKind;
  account_id: string;
  amount: number | string;
  debt_change: number | string;
  /** The system account on the other side: purchases, promotions, spent, refunds, expired, adjustments. */
  counterparty: string;
  source: string | null;
  reason: string;
  /** JSON text or null. */
  metadata: string | null;
  /** The transfer or hold this one refers to (a reversal's grant, a capture's hold). */
  ref: string | null;
  /** Who asked for it when not the owner (an admin's user id, a module name). */
  actor_id: string | null;
  created_at: Timestamp;
}

/** A leg of a transfer: `amount` (signed) on `account_id`, and on `bucket_id` for a wallet's leg. */
export interface EntryRow {
  id?: number;
  transfer_id: string;
  /** 0, 1, 2… within the transfer; (transfer_id, seq) is unique: no leg is ever written twice. */
  seq: number;
  account_id: string;
  bucket_id: string | null;
  amount: number | string;
  created_at: Timestamp;
}

/** Credits reserved until captured, released or expired; each hold resolves once. */
export interface HoldRow {
  id: string;
  account_id: string;
  amount: number | string;
  captured: number | string | null;
  status: HoldStatus;
  reason: string;
  expires_at: Timestamp;
  transfer_id: string | null;
  created_at: Timestamp;
  resolved_at: Timestamp | null;
}

export interface LedgerTables {
  wallet_accounts: AccountRow;
  wallet_buckets: BucketRow;
  wallet_transfers: TransferRow;
  wallet_entries: EntryRow;
  wallet_holds: HoldRow;
}
export type LedgerDb = Kysely<LedgerTables>;
/** What ctx.tx passes, typed: the ledger's tables plus emit, enqueue and afterCommit. */
export type LedgerTrx = Transaction<LedgerTables> & TxConsequences;

export const ledgerMigrations: Record<string, Migration> = {
  '0001_ledger': {
    async up(db) {
      const { timestamp: ts, autoIncrement } = columnTypes(db);
      await db.schema
        .createTable('wallet_accounts')
        .addColumn('id', 'varchar(300)', (c) => c.primaryKey())
        .addColumn('owner_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('owner_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('held', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('debt', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('next_expiry', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        // The last line of defence: even a code path that forgot its conditional update cannot
        // leave a wallet below zero or reserving more than it holds.
        .addCheckConstraint('wallet_accounts_balance_ok', sql`balance >= 0 and held >= 0 and held <= balance and debt >= 0`)
        .execute();
      await db.schema.createIndex('wallet_accounts_owner_uq').unique().on('wallet_accounts').columns(['owner_type', 'owner_id']).execute();

      await db.schema
        .createTable('wallet_buckets')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('account_id', 'varchar(300)', (c) => c.notNull().references('wallet_accounts.id'))
        .addColumn('kind', 'varchar(12)', (c) => c.notNull())
        .addColumn('granted', 'bigint', (c) => c.notNull())
        .addColumn('remaining', 'bigint', (c) => c.notNull())
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('expires_at', ts)
        .addColumn('transfer_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addCheckConstraint('wallet_buckets_remaining_ok', sql`remaining >= 0 and remaining <= granted`)
        .execute();
      await db.schema.createIndex('wallet_buckets_account_idx').on('wallet_buckets').columns(['account_id', 'remaining']).execute();
      await db.schema.createIndex('wallet_buckets_expiry_idx').on('wallet_buckets').columns(['expires_at', 'remaining']).execute();

      await db.schema
        .createTable('wallet_transfers')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('kind', 'varchar(20)', (c) => c.notNull())
        .addColumn('account_id', 'varchar(300)', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('debt_change', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('counterparty', 'varchar(40)', (c) => c.notNull())
        .addColumn('source', 'varchar(255)')
        .addColumn('reason', 'varchar(500)', (c) => c.notNull())
        .addColumn('metadata', 'text')
        .addColumn('ref', 'varchar(255)')
        .addColumn('actor_id', 'varchar(255)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('wallet_transfers_account_idx').on('wallet_transfers').columns(['account_id', 'created_at', 'id']).execute();
      // Partial indexes (both dialects): a plain spend has neither a source nor a ref, so it
      // writes no page of these two; `source` stays unique wherever it is set.
      await db.schema.createIndex('wallet_transfers_source_uq').unique().on('wallet_transfers').column('source').where(sql.ref('source'), 'is not', null).execute();
      await db.schema.createIndex('wallet_transfers_ref_idx').on('wallet_transfers').column('ref').where(sql.ref('ref'), 'is not', null).execute();

      await db.schema
        .createTable('wallet_entries')
        .addColumn('id', autoIncrement, (c) => c.primaryKey())
        .addColumn('transfer_id', 'varchar(40)', (c) => c.notNull().references('wallet_transfers.id'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('account_id', 'varchar(300)', (c) => c.notNull())
        .addColumn('bucket_id', 'varchar(40)')
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addUniqueConstraint('wallet_entries_leg_uq', ['transfer_id', 'seq'])
        .addCheckConstraint('wallet_entries_nonzero', sql`amount <> 0`)
        .execute();
      // One index besides the legs' unique key: every index is another page each spend writes
      // (the bench's hot path). Per-bucket sums (verify) scan; a grant's expired part is read
      // from the expire transfers' `ref` instead.
      await db.schema.createIndex('wallet_entries_account_idx').on('wallet_entries').column('account_id').execute();

      await db.schema
        .createTable('wallet_holds')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('account_id', 'varchar(300)', (c) => c.notNull().references('wallet_accounts.id'))
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('captured', 'bigint')
        .addColumn('status', 'varchar(10)', (c) => c.notNull())
        .addColumn('reason', 'varchar(500)', (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('transfer_id', 'varchar(40)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('resolved_at', ts)
        .addCheckConstraint('wallet_holds_amount_ok', sql`amount > 0 and (captured is null or (captured >= 0 and captured <= amount))`)
        .execute();
      await db.schema.createIndex('wallet_holds_account_idx').on('wallet_holds').columns(['account_id', 'status']).execute();
      await db.schema.createIndex('wallet_holds_expiry_idx').on('wallet_holds').columns(['status', 'expires_at']).execute();
    },
    async down(db) {
      for (const t of ['wallet_holds', 'wallet_entries', 'wallet_transfers', 'wallet_buckets', 'wallet_accounts']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
};
