import { conflict, notFound, unprocessable } from '../../core/http/problem.js';
import { toIso, toIsoOrNull } from '../../core/db/dialect.js';
import { loadBuckets, takeFromBuckets } from './buckets.js';
import { emitMovement, eventOwner } from './ledger-events.js';
import { debitOrRefuse, maintainIn, type LedgerDeps } from './ledger-expiry.js';
import { changeAccount, lockAccount, postTransfer } from './ledger.js';
import { newId } from '../../core/ids.js';
import { SYSTEM, type ResolvedOwner } from './owner.js';
import type { HoldRow, HoldStatus, LedgerTrx, OwnerType } from './schema.js';

/**
 * Holds reserve credits (available = balance − held) until captured (all or part: the credits
 * are spent), released, or expired (released by themselves, lazily on the wallet's next debit
 * and by the expiry cron). Each resolves exactly once, TigerBeetle's pending-transfer rule: the
 * resolution is a conditional UPDATE … WHERE status = 'active', taken under the wallet's row
 * lock (locking order everywhere: source lock, wallet, hold, buckets), so of any number of
 * concurrent captures and releases one wins and the others get 409 wallet_hold_resolved.
 */

export interface Hold {
  id: string;
  amount: number;
  /** Credits captured (a capture may take part of the hold); null until captured. */
  captured: number | null;
  status: HoldStatus;
  reason: string;
  expiresAt: string;
  createdAt: string;
  resolvedAt: string | null;
  /** The capture's transfer. */
  transferId: string | null;
}

export function toHold(r: HoldRow): Hold {
  return {
    id: r.id,
    amount: Number(r.amount),
    captured: r.captured === null ? null : Number(r.captured),
    status: r.status,
    reason: r.reason,
    expiresAt: toIso(r.expires_at),
    createdAt: toIso(r.created_at),
    resolvedAt: toIsoOrNull(r.resolved_at),
    transferId: r.transfer_id,
  };
}

const holdEvent = (owner: ResolvedOwner, h: Hold) => ({
  ...eventOwner(owner),
  holdId: h.id,
  amount: h.amount,
  reason: h.reason,
  expiresAt: h.expiresAt,
});

export async function holdIn(trx: LedgerTrx, deps: LedgerDeps, owner: ResolvedOwner, input: { amount: number; ttlMs: number; reason: string }, now: string): Promise<Hold & { available: number }> {
  const state = await debitOrRefuse(trx, deps, owner, input.amount, now, true);
  const row: HoldRow = {
    id: newId(),
    account_id: owner.accountId,
    amount: input.amount,
    captured: null,
    status: 'active',
    reason: input.reason,
    expires_at: new Date(Date.parse(now) + input.ttlMs).toISOString(),
    transfer_id: null,
    created_at: now,
    resolved_at: null,
  };
  await trx.insertInto('wallet_holds').values(row).execute();
  const hold = toHold(row);
  trx.emit('wallet.hold.created', holdEvent(owner, hold), { key: owner.accountId });
  return { ...hold, available: state.balance - state.held };
}

/** The hold and its wallet, the wallet locked (first, per the locking order). */
async function lockHold(trx: LedgerTrx, deps: LedgerDeps, holdId: string, owned?: string) {
  const first = await trx.selectFrom('wallet_holds').select('account_id').where('id', '=', holdId).executeTakeFirst();
  // Someone else's hold looks the same as no hold.
  if (!first || (owned !== undefined && first.account_id !== owned)) throw notFound('wallet_hold_not_found');
  await lockAccount(trx, deps.dialect, first.account_id);
  const hold = await trx.selectFrom('wallet_holds').selectAll().where('id', '=', holdId).executeTakeFirstOrThrow();
  const acc = await trx.selectFrom('wallet_accounts').select(['owner_type', 'owner_id']).where('id', '=', first.account_id).executeTakeFirstOrThrow();
  const owner: ResolvedOwner = { type: acc.owner_type as OwnerType, id: acc.owner_id, accountId: first.account_id };
  return { hold, owner };
}

/** Resolves an active hold without a capture: `released`, or `expired` if its time had passed. */
async function resolveWithoutCapture(trx: LedgerTrx, deps: LedgerDeps, owner: ResolvedOwner, hold: HoldRow, now: string): Promise<Hold> {
  const status: HoldStatus = toIso(hold.expires_at) <= now ? 'expired' : 'released';
  const res = await trx.updateTable('wallet_holds').set({ status, resolved_at: now }).where('id', '=', hold.id).where('status', '=', 'active').executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw conflict('wallet_hold_resolved', { params: { status: hold.status } });
  await changeAccount(trx, deps.dialect, owner.accountId, { held: -Number(hold.amount) }, now);
  const out = toHold({ ...hold, status, resolved_at: now });
  trx.emit(status === 'expired' ? 'wallet.hold.expired' : 'wallet.hold.released', holdEvent(owner, out), { key: owner.accountId });
  return out;
}

export type CaptureOutcome = { hold: Hold; balance: number; expired: false } | { hold: Hold; expired: true };

/**
 * Captures `amount` (default: all) of an active hold: those credits are spent (a `capture`
 * transfer to `spent`), the rest of the reservation returns to available. A hold past its
 * expiry is resolved as expired instead (the caller answers 409 wallet_hold_expired).
 */
export async function captureIn(trx: LedgerTrx, deps: LedgerDeps, holdId: string, amount: number | undefined, now: string, owned?: string): Promise<CaptureOutcome> {
  const { hold, owner } = await lockHold(trx, deps, holdId, owned);
  if (hold.status !== 'active') throw conflict('wallet_hold_resolved', { params: { status: hold.status } });
  if (toIso(hold.expires_at) <= now) return { hold: await resolveWithoutCapture(trx, deps, owner, hold, now), expired: true };
  const full = Number(hold.amount);
  const take = amount ?? full;
  if (take > full) throw unprocessable('wallet_capture_exceeds_hold', { params: { amount: full } });
  // Other holds past their time release, grants past theirs expire (except what holds reserve).
  await maintainIn(trx, deps, owner, now);
  const res = await trx
    .updateTable('wallet_holds')
    .set({ status: 'captured', captured: take, resolved_at: now })
    .where('id', '=', hold.id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw conflict('wallet_hold_resolved', { params: { status: 'captured' } });
  let transferId: string | null = null;
  if (take > 0) {
    // Grants kept past their expiry because this hold reserved them come first (soonest expiry).
    const buckets = await loadBuckets(trx, deps.dialect, owner.accountId, now, true);
    const legs = await takeFromBuckets(trx, owner.accountId, buckets, take);
    transferId = await postTransfer(
      trx,
      { kind: 'capture', accountId: owner.accountId, amount: -take, counterparty: 'spent', reason: hold.reason, ref: hold.id },
      [...legs, { accountId: SYSTEM.spent, amount: take }],
      now,
    );
    await trx.updateTable('wallet_holds').set({ transfer_id: transferId }).where('id', '=', hold.id).execute();
  }
  const state = await changeAccount(trx, deps.dialect, owner.accountId, { balance: -take, held: -full }, now);
  const out = toHold({ ...hold, status: 'captured', captured: take, resolved_at: now, transfer_id: transferId });
  trx.emit('wallet.hold.captured', { ...holdEvent(owner, out), captured: take, ...(transferId ? { transferId } : {}) }, { key: owner.accountId });
  if (transferId) {
    emitMovement(trx, owner, 'debited', { transferId, kind: 'capture', amount: take, balance: state.balance, debt: state.debt, reason: hold.reason, source: null }, deps.lowBalanceThreshold);
  }
  return { hold: out, balance: state.balance, expired: false };
}

export async function releaseIn(trx: LedgerTrx, deps: LedgerDeps, holdId: string, now: string, owned?: string): Promise<Hold> {
  const { hold, owner } = await lockHold(trx, deps, holdId, owned);
  if (hold.status !== 'active') throw conflict('wallet_hold_resolved', { params: { status: hold.status } });
  return resolveWithoutCapture(trx, deps, owner, hold, now);
}
