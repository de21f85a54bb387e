import { sql } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import type { IdempotencyClaim } from '../../core/http/idempotency.js';
import { conflict, notFound } from '../../core/http/problem.js';
import { typedTrx } from '../../core/db/dialect.js';
import { iso, isoOrNull } from './catalog.js';
import type { CatalogTables, CatalogTrx, OwnerType, PurchaseRow } from './catalog-schema.js';
import { resolveOwner, type WalletOwner } from './owner.js';
import { newId } from '../../core/ids.js';

/** A purchase as answered to its owner and to admins. */
export interface Purchase {
  id: string;
  ownerType: OwnerType;
  ownerId: string;
  itemKey: string;
  price: number;
  status: 'owned' | 'refunded';
  transferId: string;
  refundTransferId: string | null;
  refundedAt: string | null;
  refundedBy: string | null;
  refundReason: string | null;
  createdAt: string;
}

export const toPurchase = (r: PurchaseRow): Purchase => ({
  id: r.id,
  ownerType: r.owner_type,
  ownerId: r.owner_id,
  itemKey: r.item_key,
  price: Number(r.price),
  status: r.status,
  transferId: r.transfer_id,
  refundTransferId: r.refund_transfer_id,
  refundedAt: isoOrNull(r.refunded_at),
  refundedBy: r.refunded_by,
  refundReason: r.refund_reason,
  createdAt: iso(r.created_at),
});

export interface PurchaseResult {
  purchase: Purchase;
  /** The owner's balance after paying. */
  balance: number;
}

/**
 * Buying a digital item with credits: exactly-once and exact under concurrency on both dialects.
 *
 * One transaction, in this order (every purchase takes the locks in the same order, so two
 * purchases never deadlock):
 * 1. `UPDATE wallet_items SET sold = sold + 1 WHERE key = ? AND active AND (stock IS NULL OR sold < stock)`:
 *    on PostgreSQL the row lock queues every buyer of the item and each re-checks the condition
 *    against what the previous winner committed; SQLite runs one write transaction at a time.
 *    A check constraint (sold <= stock) backs it up.
 * 2. With a per-user limit: the owner's `wallet_holdings` row is created if missing, then
 *    `UPDATE … SET count = count + 1 WHERE count < limit`, the same pattern per owner.
 * 3. The ledger spends the price (ctx.services.wallet.spend joins this transaction): its own
 *    conditional update refuses a balance below zero with 409 insufficient_credits, and the
 *    throw rolls steps 1–2 back, so no stock is lost to a buyer who could not pay.
 * 4. The purchase row, the `wallet.item.purchased` event and the Idempotency-Key answer commit
 *    with it: a retry after a crash finds the stored answer, never a second purchase.
 */
export class Purchaser {
  constructor(private readonly ctx: ModuleContext<unknown>) {}

  async purchase(owner: WalletOwner, itemKey: string, idempotency?: IdempotencyClaim): Promise<PurchaseResult> {
    const ref = resolveOwner(owner);
    return this.ctx.tx(async (handle) => {
      const trx = typedTrx<CatalogTables>(handle) as CatalogTrx;
      const item = await trx.selectFrom('wallet_items').selectAll().where('key', '=', itemKey).where('deleted', '=', 0).executeTakeFirst();
      if (!item || Number(item.active) !== 1) throw notFound('item_not_found', { params: { key: itemKey } });

      const claimed = await trx
        .updateTable('wallet_items')
        .set({ sold: sql`sold + 1` })
        .where('key', '=', itemKey)
        .where('deleted', '=', 0)
        .where('active', '=', 1)
        .where((eb) => eb.or([eb('stock', 'is', null), eb('sold', '<', eb.ref('stock'))]))
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) {
        const fresh = await trx.selectFrom('wallet_items').select(['active', 'deleted']).where('key', '=', itemKey).executeTakeFirst();
        if (!fresh || Number(fresh.active) !== 1 || Number(fresh.deleted) === 1) throw notFound('item_not_found', { params: { key: itemKey } });
        throw conflict('item_sold_out', { params: { key: itemKey } });
      }

      await trx
        .insertInto('wallet_holdings')
        .values({ owner_type: ref.type, owner_id: ref.id, item_key: itemKey, count: 0 })
        .onConflict((oc) => oc.columns(['owner_type', 'owner_id', 'item_key']).doNothing())
        .execute();
      // Read the limit from the row locked in step 1: an admin edit meanwhile is seen.
      const limitRow = await trx.selectFrom('wallet_items').select('per_user_limit').where('key', '=', itemKey).executeTakeFirstOrThrow();
      const limit = limitRow.per_user_limit === null ? null : Number(limitRow.per_user_limit);
      let held = trx
        .updateTable('wallet_holdings')
        .set({ count: sql`count + 1` })
        .where('owner_type', '=', ref.type)
        .where('owner_id', '=', ref.id)
        .where('item_key', '=', itemKey);
      if (limit !== null) held = held.where('count', '<', limit);
      if (Number((await held.executeTakeFirst()).numUpdatedRows) !== 1) {
        throw conflict('item_limit_reached', { params: { key: itemKey, limit: limit ?? 0 } });
      }

      const id = newId();
      const price = Number(item.price);
      const spent = await this.ctx.services.wallet.spend(owner, { amount: price, reason: `purchase:${itemKey}`, source: `purchase:${id}` });
      const row: PurchaseRow = {
        id,
        owner_type: ref.type,
        owner_id: ref.id,
        item_key: itemKey,
        price,
        transfer_id: spent.transferId,
        status: 'owned',
        refund_transfer_id: null,
        refunded_at: null,
        refunded_by: null,
        refund_reason: null,
        created_at: new Date().toISOString(),
      };
      await trx.insertInto('wallet_purchases').values(row).execute();
      trx.emit('wallet.item.purchased', { purchaseId: id, ownerType: ref.type, ownerId: ref.id, itemKey, price });
      const result: PurchaseResult = { purchase: toPurchase(row), balance: spent.balance };
      await idempotency?.saveIn(handle, 201, result);
      return result;
    });
  }
}
