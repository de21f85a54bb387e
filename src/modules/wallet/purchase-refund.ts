import { sql } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import { typedTrx } from '../../core/db/dialect.js';
import { conflict, notFound } from '../../core/http/problem.js';
import type { CatalogTables, PurchaseRow } from './catalog-schema.js';
import { ownerFromRow } from './owner.js';
import { toPurchase, type Purchase } from './purchase.js';

export interface RefundInput {
  reason: string;
  /** The admin's actor id, recorded on the purchase and in the ledger entry. */
  adminId: string;
}

/**
 * Refunds of item purchases: the credits go back to the owner through the ledger, the unit
 * goes back to stock and leaves the owner's inventory, all in one transaction. Once: the
 * conditional `status = 'owned' → 'refunded'` update lets one refund win; the ledger's unique
 * source (`refund:purchase:<id>`) is the second guard.
 */
export class Refunds {
  constructor(private readonly ctx: ModuleContext<unknown>) {}

  async refundPurchase(purchaseId: string, input: RefundInput): Promise<{ purchase: Purchase; balance: number }> {
    return this.ctx.tx(async (handle) => {
      const trx = typedTrx<CatalogTables>(handle);
      const row = await trx.selectFrom('wallet_purchases').selectAll().where('id', '=', purchaseId).executeTakeFirst();
      if (!row) throw notFound('purchase_not_found');
      const now = new Date().toISOString();
      const won = await trx
        .updateTable('wallet_purchases')
        .set({ status: 'refunded', refunded_at: now, refunded_by: input.adminId, refund_reason: input.reason })
        .where('id', '=', purchaseId)
        .where('status', '=', 'owned')
        .executeTakeFirst();
      if (Number(won.numUpdatedRows) !== 1) throw conflict('purchase_already_refunded');

      await trx.updateTable('wallet_items').set({ sold: sql`sold - 1` }).where('key', '=', row.item_key).where('sold', '>', 0).execute();
      await trx
        .updateTable('wallet_holdings')
        .set({ count: sql`count - 1` })
        .where('owner_type', '=', row.owner_type)
        .where('owner_id', '=', row.owner_id)
        .where('item_key', '=', row.item_key)
        .where('count', '>', 0)
        .execute();

      const owner = ownerFromRow(row.owner_type, row.owner_id);
      const back = await this.ctx.services.wallet.grant(owner, {
        amount: Number(row.price),
        kind: 'paid',
        source: `refund:purchase:${purchaseId}`,
        reason: input.reason,
        metadata: { purchaseId, itemKey: row.item_key, adminId: input.adminId },
      });
      await trx.updateTable('wallet_purchases').set({ refund_transfer_id: back.transferId }).where('id', '=', purchaseId).execute();
      const refunded: PurchaseRow = { ...row, status: 'refunded', refunded_at: now, refunded_by: input.adminId, refund_reason: input.reason, refund_transfer_id: back.transferId };
      handle.emit('wallet.item.refunded', {
        purchaseId,
        ownerType: row.owner_type,
        ownerId: row.owner_id,
        itemKey: row.item_key,
        price: Number(row.price),
        adminId: input.adminId,
      });
      return { purchase: toPurchase(refunded), balance: back.balance };
    });
  }
}
