import { sql } from 'kysely';
import type { Dialect } from '../../core/db/database.js';
import { timestampParam, toIso } from '../../core/db/dialect.js';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import { resolveOwner, type WalletOwner } from './owner.js';
import type { AccountRow, LedgerDb, OwnerType, TransferRow } from './schema.js';
import { toTransaction, type WalletTransaction } from './transactions.js';

/** Read-only lists for the admin (GET /v1/admin/wallet/wallets and /transfers). */

export interface AdminWallet {
  accountId: string;
  ownerType: OwnerType;
  ownerId: string;
  balance: number;
  held: number;
  debt: number;
  nextExpiry: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A transfer with whose wallet it concerns and who asked for it. */
export interface AdminTransfer extends WalletTransaction {
  accountId: string;
  actorId: string | null;
}

export interface WalletsQuery {
  limit?: number;
  cursor?: string;
  ownerType?: OwnerType;
}

export interface TransfersQuery {
  limit?: number;
  cursor?: string;
  /** One wallet, by owner. */
  owner?: WalletOwner;
  kind?: string;
  /** ISO times: transfers at or after `from`, before `to`. */
  from?: string;
  to?: string;
}

const toWallet = (r: AccountRow): AdminWallet => ({
  accountId: r.id,
  ownerType: r.owner_type,
  ownerId: r.owner_id,
  balance: Number(r.balance),
  held: Number(r.held),
  debt: Number(r.debt),
  nextExpiry: r.next_expiry == null ? null : toIso(r.next_expiry),
  createdAt: toIso(r.created_at),
  updatedAt: toIso(r.updated_at),
});

/** Wallets, most recently created first (keyset on created_at then id). */
export async function listWallets(db: LedgerDb, q: WalletsQuery): Promise<PageResult<AdminWallet>> {
  let query = db.selectFrom('wallet_accounts').selectAll();
  if (q.ownerType) query = query.where('owner_type', '=', q.ownerType);
  const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['created_at', 'id'], key: (r) => [toIso(r.created_at), r.id] });
  return { data: page.data.map(toWallet), nextCursor: page.nextCursor };
}

/** Every wallet's transfers, newest first (ids sort by time); filter by wallet, kind and time. */
export async function listTransfers(db: LedgerDb, dialect: Dialect, q: TransfersQuery): Promise<PageResult<AdminTransfer>> {
  let query = db.selectFrom('wallet_transfers').selectAll();
  if (q.owner) query = query.where('account_id', '=', resolveOwner(q.owner).accountId);
  if (q.kind) query = query.where('kind', '=', q.kind);
  if (q.from) query = query.where(sql<boolean>`created_at >= ${timestampParam(dialect, q.from)}`);
  if (q.to) query = query.where(sql<boolean>`created_at < ${timestampParam(dialect, q.to)}`);
  const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['id'], key: (r) => [r.id] });
  return { data: page.data.map((r: TransferRow) => ({ ...toTransaction(r), accountId: r.account_id, actorId: r.actor_id })), nextCursor: page.nextCursor };
}
