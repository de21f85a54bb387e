import { sql } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import { lockKey, typedTrx } from '../../core/db/dialect.js';
import type { CatalogConfig } from './catalog-config.js';
import type { CatalogTables } from './catalog-schema.js';
import type { WalletShop } from './catalog-service.js';

/**
 * A guest's wallet joining the user's at sign-up, and the wallet's part of the privacy export
 * and of account deletion. Credits move only through the ledger service (spend / grant).
 */
export class WalletLifecycle {
  constructor(
    private readonly ctx: ModuleContext<CatalogConfig>,
    private readonly shop: () => WalletShop,
  ) {}

  /**
   * `guest.merged`: exactly once per guest (the wallet_guest_merges row is written first, under
   * the guest's lock, so a redelivery or a concurrent delivery finds it and does nothing).
   * The guest's spendable credits leave its wallet in one ledger transfer (kind `merge`, source
   * `merge:guest:<id>`) and arrive in the user's as grants copying each bucket's kind, expiry
   * and priority (sources `merge:guest:<id>:<n>`), so paid credits stay paid and promotional ones
   * keep their expiry. Credits reserved by an active hold stay with the guest until it resolves.
   * Purchases and per-item counts move to the user.
   */
  async mergeGuest(guestId: string, userId: string): Promise<boolean> {
    return this.ctx.tx(async (trx) => {
      await lockKey(trx, this.ctx.dialect, `wallet:guest:${guestId}`);
      const t = typedTrx<CatalogTables>(trx);
      const seen = await t.selectFrom('wallet_guest_merges').select('guest_id').where('guest_id', '=', guestId).executeTakeFirst();
      if (seen) return false;
      await t.insertInto('wallet_guest_merges').values({ guest_id: guestId, user_id: userId, merged_at: new Date().toISOString() }).execute();

      const wallet = this.ctx.services.wallet;
      const guest = { guestId };
      const b = await wallet.balance(guest);
      let left = b.available;
      if (left > 0) {
        await wallet.spend(guest, { amount: left, reason: 'guest signed up: credits moved to the user', source: `merge:guest:${guestId}`, kind: 'merge', metadata: { userId } });
        const now = Date.now();
        let n = 0;
        for (const bucket of b.buckets) {
          if (left <= 0) break;
          if (bucket.expiresAt !== null && Date.parse(bucket.expiresAt) <= now) continue;
          const take = Math.min(bucket.remaining, left);
          left -= take;
          await wallet.grant(
            { userId },
            { amount: take, kind: bucket.kind, source: `merge:guest:${guestId}:${n++}`, reason: 'credits of the guest who signed up', expiresAt: bucket.expiresAt, priority: bucket.priority, metadata: { guestId } },
          );
        }
      }

      await t.updateTable('wallet_purchases').set({ owner_type: 'user', owner_id: userId }).where('owner_type', '=', 'guest').where('owner_id', '=', guestId).execute();
      const holdings = await t.selectFrom('wallet_holdings').selectAll().where('owner_type', '=', 'guest').where('owner_id', '=', guestId).execute();
      for (const h of holdings) {
        await t
          .insertInto('wallet_holdings')
          .values({ owner_type: 'user', owner_id: userId, item_key: h.item_key, count: Number(h.count) })
          .onConflict((oc) => oc.columns(['owner_type', 'owner_id', 'item_key']).doUpdateSet({ count: sql`wallet_holdings.count + ${Number(h.count)}` }))
          .execute();
      }
      await t.deleteFrom('wallet_holdings').where('owner_type', '=', 'guest').where('owner_id', '=', guestId).execute();
      return true;
    });
  }

  /** The privacy export: balance with buckets, every ledger transaction, every purchase. */
  async exportUser(userId: string): Promise<unknown> {
    const owner = { userId };
    const wallet = this.ctx.services.wallet;
    const transactions = [];
    let cursor: string | undefined;
    do {
      const page = await wallet.transactions(owner, { limit: 100, cursor });
      transactions.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { balance: await wallet.balance(owner), transactions, purchases: await this.shop().inventory.all(owner) };
  }

  /**
   * `user.deleted`: the account is anonymized by auth (its id stays, nothing else), so the ledger
   * and the purchases keep their rows and every sum still holds. What the user could still spend
   * is forfeited through the ledger (kind `forfeit`, once: source `forfeit:user:<id>`) so a deleted
   * account holds no credits, and the per-item counts go.
   */
  async eraseUser(userId: string): Promise<void> {
    await this.ctx.tx(async (trx) => {
      const wallet = this.ctx.services.wallet;
      const b = await wallet.balance({ userId });
      if (b.available > 0) {
        await wallet.spend({ userId }, { amount: b.available, reason: 'account deleted', source: `forfeit:user:${userId}`, kind: 'forfeit' });
      }
      await typedTrx<CatalogTables>(trx).deleteFrom('wallet_holdings').where('owner_type', '=', 'user').where('owner_id', '=', userId).execute();
    });
  }
}
