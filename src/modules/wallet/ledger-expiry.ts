import { sql } from 'kysely';
import type { Dialect } from '../../core/db/database.js';
import { timestampParam } from '../../core/db/dialect.js';
import { conflict } from '../../core/http/problem.js';
import { earliestExpiry } from './buckets.js';
import { emitMovement, eventOwner } from './ledger-events.js';
import { changeAccount, debitIfAvailable, lockAccount, postTransfer, type AccountState } from './ledger.js';
import { SYSTEM, type ResolvedOwner } from './owner.js';
import type { LedgerTrx } from './schema.js';

/** What the ledger operations need from the module. */
export interface LedgerDeps {
  dialect: Dialect;
  lowBalanceThreshold: number;
}

/** 409 `insufficient_credits`, saying how many were asked for and how many are available. */
export function insufficient(required: number, available: number) {
  return conflict('insufficient_credits', { params: { required, available }, extra: { required, available } });
}

/**
 * Brings a locked wallet up to date: holds past their expiry release their credits, then grants
 * past theirs move what is left to the `expired` account (one transfer per grant). Credits an
 * active hold still reserves are not expired yet: `held <= balance` holds at every instant, and
 * the hold's capture spends them (or the next sweep after its release expires them).
 */
export async function maintainIn(trx: LedgerTrx, deps: LedgerDeps, owner: ResolvedOwner, now: string): Promise<AccountState | null> {
  let state = await lockAccount(trx, deps.dialect, owner.accountId);
  if (!state) return null;
  if (state.held > 0) state = await releaseExpiredHoldsIn(trx, deps, owner, now, state);
  if (state.nextExpiry !== null && state.nextExpiry <= now) state = await sweepIn(trx, deps, owner, now, state);
  return state;
}

async function releaseExpiredHoldsIn(trx: LedgerTrx, deps: LedgerDeps, owner: ResolvedOwner, now: string, state: AccountState): Promise<AccountState> {
  const due = await trx
    .selectFrom('wallet_holds')
    .select(['id', 'amount', 'reason', 'expires_at'])
    .where('account_id', '=', owner.accountId)
    .where('status', '=', 'active')
    .where(sql<boolean>`expires_at <= ${timestampParam(deps.dialect, now)}`)
    .execute();
  let released = 0;
  for (const h of due) {
    const res = await trx
      .updateTable('wallet_holds')
      .set({ status: 'expired', resolved_at: now })
      .where('id', '=', h.id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) continue;
    released += Number(h.amount);
    trx.emit(
      'wallet.hold.expired',
      { ...eventOwner(owner), holdId: h.id, amount: Number(h.amount), reason: h.reason, expiresAt: new Date(h.expires_at).toISOString() },
      { key: owner.accountId },
    );
  }
  return released ? changeAccount(trx, deps.dialect, owner.accountId, { held: -released }, now) : state;
}

async function sweepIn(trx: LedgerTrx, deps: LedgerDeps, owner: ResolvedOwner, now: string, state: AccountState): Promise<AccountState> {
  const expired = await trx
    .selectFrom('wallet_buckets')
    .select(['id', 'remaining'])
    .where('account_id', '=', owner.accountId)
    .where('remaining', '>', 0)
    .where(sql<boolean>`expires_at <= ${timestampParam(deps.dialect, now)}`)
    .orderBy('expires_at')
    .orderBy('id')
    .execute();
  let room = state.balance - state.held;
  let balance = state.balance;
  let total = 0;
  for (const b of expired) {
    const e = Math.min(Number(b.remaining), room);
    if (e <= 0) break;
    await trx.updateTable('wallet_buckets').set({ remaining: sql`remaining - ${e}` }).where('id', '=', b.id).where('remaining', '>=', e).execute();
    const transferId = await postTransfer(
      trx,
      { kind: 'expire', accountId: owner.accountId, amount: -e, counterparty: 'expired', reason: 'Grant expired', ref: b.id },
      [
        { accountId: owner.accountId, bucketId: b.id, amount: -e },
        { accountId: SYSTEM.expired, amount: e },
      ],
      now,
    );
    room -= e;
    total += e;
    balance -= e;
    emitMovement(trx, owner, 'debited', { transferId, kind: 'expire', amount: e, balance, debt: state.debt, reason: 'Grant expired', source: null }, deps.lowBalanceThreshold);
  }
  const next = await earliestExpiry(trx, owner.accountId);
  return changeAccount(trx, deps.dialect, owner.accountId, { balance: -total, nextExpiry: next }, now);
}

/**
 * Takes `amount` off the wallet's available credits (or reserves it: `reserve`), or throws 409
 * insufficient_credits with nothing written. The hot path is one conditional UPDATE; only when
 * it fails (too few credits, or an expiry is due) is the wallet locked, brought up to date
 * (maintainIn) and the update tried once more.
 */
export async function debitOrRefuse(
  trx: LedgerTrx,
  deps: LedgerDeps,
  owner: ResolvedOwner,
  amount: number,
  now: string,
  reserve = false,
): Promise<AccountState> {
  const fast = await debitIfAvailable(trx, owner.accountId, amount, now, { reserve });
  if (fast) return fast;
  const state = await maintainIn(trx, deps, owner, now);
  if (!state) throw insufficient(amount, 0);
  // The sweep ran; a grant kept past its expiry by a hold keeps `next_expiry` due until the hold resolves.
  const retry = await debitIfAvailable(trx, owner.accountId, amount, now, { reserve, ignoreExpiry: true });
  if (retry) return retry;
  throw insufficient(amount, Math.max(0, state.balance - state.held));
}
