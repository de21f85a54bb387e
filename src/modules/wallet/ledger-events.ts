import type { LedgerTrx, OwnerType } from './schema.js';
import type { ResolvedOwner } from './owner.js';

/** Who a wallet event is about: the owner's kind and id, and `userId`/`guestId`/`tenantId` set accordingly. */
export interface WalletEventOwner {
  ownerType: OwnerType;
  ownerId: string;
  userId?: string;
  guestId?: string;
  tenantId?: string;
}

/** `wallet.credited` / `wallet.debited`: one per transfer that moved a wallet's balance. */
export interface WalletMovementEvent extends WalletEventOwner {
  transferId: string;
  /** grant, spend, capture, reverse, expire, settle… (the transfer's kind). */
  kind: string;
  /** How many credits came in or went out (positive). */
  amount: number;
  /** The wallet's balance and debt after this transfer. */
  balance: number;
  debt: number;
  reason: string;
  source: string | null;
}

export interface WalletHoldEvent extends WalletEventOwner {
  holdId: string;
  amount: number;
  reason: string;
  expiresAt: string;
  /** Captured credits (hold.captured only). */
  captured?: number;
  /** The capture's transfer (hold.captured only). */
  transferId?: string;
}

export interface WalletLowBalanceEvent extends WalletEventOwner {
  balance: number;
  threshold: number;
}

export interface WalletLedgerMismatchEvent {
  checkedAt: string;
  problems: Array<{ check: string; id: string; expected: number; actual: number }>;
}

export function eventOwner(o: Pick<ResolvedOwner, 'type' | 'id'>): WalletEventOwner {
  const base: WalletEventOwner = { ownerType: o.type, ownerId: o.id };
  if (o.type === 'user') base.userId = o.id;
  else if (o.type === 'guest') base.guestId = o.id;
  else base.tenantId = o.id;
  return base;
}

/**
 * Emits the movement in the transaction (delivered after commit), keyed by wallet so a
 * handler sees one wallet's movements in commit order; and `wallet.low_balance` when this
 * debit took the balance from at least `threshold` to below it (once per crossing: the
 * wallet's row lock orders debits, so exactly one of them crosses).
 */
export function emitMovement(
  trx: LedgerTrx,
  owner: ResolvedOwner,
  direction: 'credited' | 'debited',
  m: Omit<WalletMovementEvent, keyof WalletEventOwner>,
  lowBalanceThreshold: number,
): void {
  const key = owner.accountId;
  trx.emit(`wallet.${direction}`, { ...eventOwner(owner), ...m }, { key });
  if (direction === 'debited' && lowBalanceThreshold > 0) {
    const before = m.balance + m.amount;
    if (before >= lowBalanceThreshold && m.balance < lowBalanceThreshold) {
      trx.emit('wallet.low_balance', { ...eventOwner(owner), balance: m.balance, threshold: lowBalanceThreshold }, { key });
    }
  }
}
