import { sql } from 'kysely';
import type { Dialect } from '../../core/db/database.js';
import { forUpdate, timestampParam } from '../../core/db/dialect.js';
import { newId } from '../../core/ids.js';
import type { LedgerTrx, OwnerType, TransferRow } from './schema.js';

/**
 * The append-only ledger: transfers and their entries are inserted, never updated or deleted.
 * Every function here runs inside the caller's transaction (ctx.tx) and trusts its caller to
 * have taken the wallet's row lock where it matters (see service.ts for the locking order).
 */

/** One leg of a transfer: a signed amount on an account (and on a bucket for a wallet's leg). */
export interface Leg {
  accountId: string;
  bucketId?: string | null;
  amount: number;
}

export interface NewTransfer {
  kind: string;
  accountId: string;
  /** Signed change of the wallet's balance. */
  amount: number;
  debtChange?: number;
  counterparty: string;
  source?: string | null;
  reason: string;
  metadata?: Record<string, unknown> | null;
  ref?: string | null;
  actorId?: string | null;
}

/** Writes a transfer and its legs (which must sum to zero) in one go; returns the transfer id. */
export async function postTransfer(trx: LedgerTrx, t: NewTransfer, legs: Leg[], now: string): Promise<string> {
  const legsSum = legs.reduce((s, l) => s + l.amount, 0);
  if (legsSum !== 0 || legs.some((l) => !Number.isSafeInteger(l.amount) || l.amount === 0)) {
    // A bug, never user input: refuse to write an unbalanced transfer.
    throw new Error(`Unbalanced ${t.kind} transfer: ${JSON.stringify(legs)}`);
  }
  const id = newId();
  const row: TransferRow = {
    id,
    kind: t.kind,
    account_id: t.accountId,
    amount: t.amount,
    debt_change: t.debtChange ?? 0,
    counterparty: t.counterparty,
    source: t.source ?? null,
    reason: t.reason,
    metadata: t.metadata ? JSON.stringify(t.metadata) : null,
    ref: t.ref ?? null,
    actor_id: t.actorId ?? null,
    created_at: now,
  };
  await trx.insertInto('wallet_transfers').values(row).execute();
  await trx
    .insertInto('wallet_entries')
    .values(legs.map((l, seq) => ({ transfer_id: id, seq, account_id: l.accountId, bucket_id: l.bucketId ?? null, amount: l.amount, created_at: now })))
    .execute();
  return id;
}

/** Creates the wallet's row if it does not exist yet (concurrency-safe on both dialects). */
export async function ensureAccount(trx: LedgerTrx, owner: { type: OwnerType; id: string; accountId: string }, now: string): Promise<void> {
  await trx
    .insertInto('wallet_accounts')
    .values({ id: owner.accountId, owner_type: owner.type, owner_id: owner.id, balance: 0, held: 0, debt: 0, next_expiry: null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export interface AccountState {
  balance: number;
  held: number;
  debt: number;
  nextExpiry: string | null;
}

const stateOf = (r: { balance: number | string; held: number | string; debt: number | string; next_expiry: unknown }): AccountState => ({
  balance: Number(r.balance),
  held: Number(r.held),
  debt: Number(r.debt),
  nextExpiry: r.next_expiry == null ? null : new Date(r.next_expiry as string).toISOString(),
});

/** Reads the wallet's row, locking it on PostgreSQL until the transaction ends. */
export async function lockAccount(trx: LedgerTrx, dialect: Dialect, accountId: string): Promise<AccountState | null> {
  const row = await trx
    .selectFrom('wallet_accounts')
    .select(['balance', 'held', 'debt', 'next_expiry'])
    .where('id', '=', accountId)
    .$call(forUpdate(dialect))
    .executeTakeFirst();
  return row ? stateOf(row) : null;
}

/**
 * The hot path of every debit: one conditional UPDATE that succeeds only when the wallet has
 * `amount` available (balance − held) and no grant of it is due to expire (else the sweep must
 * run first, see service.ts). On PostgreSQL the row lock it takes serializes the debits of this
 * wallet until commit; SQLite runs one write transaction at a time. Returns the new state, or
 * null when the condition failed (nothing written).
 *
 * `reserve`: raise `held` instead of lowering `balance` (a hold).
 */
export async function debitIfAvailable(
  trx: LedgerTrx,
  accountId: string,
  amount: number,
  now: string,
  opts: { reserve?: boolean; ignoreExpiry?: boolean } = {},
): Promise<AccountState | null> {
  const row = await trx
    .updateTable('wallet_accounts')
    .set(opts.reserve ? { held: sql`held + ${amount}`, updated_at: now } : { balance: sql`balance - ${amount}`, updated_at: now })
    .where('id', '=', accountId)
    .where(sql<boolean>`balance - held >= ${amount}`)
    .$if(!opts.ignoreExpiry, (q) => q.where((eb) => eb.or([eb('next_expiry', 'is', null), eb('next_expiry', '>', now)])))
    .returning(['balance', 'held', 'debt', 'next_expiry'])
    .executeTakeFirst();
  return row ? stateOf(row) : null;
}

/** Adds signed changes to the wallet's cached columns; returns the new state. */
export async function changeAccount(
  trx: LedgerTrx,
  dialect: Dialect,
  accountId: string,
  change: { balance?: number; held?: number; debt?: number; nextExpiry?: string | null; earlierExpiry?: string },
  now: string,
): Promise<AccountState> {
  const set: Record<string, unknown> = { updated_at: now };
  if (change.balance) set.balance = sql`balance + ${change.balance}`;
  if (change.held) set.held = sql`held + ${change.held}`;
  if (change.debt) set.debt = sql`debt + ${change.debt}`;
  if (change.nextExpiry !== undefined) set.next_expiry = change.nextExpiry;
  if (change.earlierExpiry) {
    // Keep the earliest: a hint may be early (then a sweep finds nothing), never late.
    const at = timestampParam(dialect, change.earlierExpiry);
    set.next_expiry = sql`case when next_expiry is null or next_expiry > ${at} then ${at} else next_expiry end`;
  }
  const row = await trx
    .updateTable('wallet_accounts')
    .set(set)
    .where('id', '=', accountId)
    .returning(['balance', 'held', 'debt', 'next_expiry'])
    .executeTakeFirstOrThrow();
  return stateOf(row);
}
