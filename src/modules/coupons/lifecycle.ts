import type { ModuleContext } from '../../core/module.js';
import { typedDb } from '../../core/db/dialect.js';
import type { CouponsConfig } from './config.js';
import { toGrant, toRedemption, type CouponGrant, type Redemption } from './model.js';
import type { ActorType, CouponDb, CouponTables, CouponTrx } from './schema.js';

/** Guest merge, account deletion and the privacy export. */
export class Lifecycle {
  constructor(private readonly ctx: ModuleContext<CouponsConfig>) {}

  /** This module's tables, typed (see schema.ts). */
  private get db(): CouponDb {
    return typedDb<CouponTables>(this.ctx);
  }

  /**
   * Moves a guest's redemptions, grants and personal coupons to the user. Idempotent: every
   * statement selects rows still owned by the guest, so a replay finds nothing to move.
   *
   * Nothing is counted twice: coupon counters are not touched (the redemptions happened once);
   * moved redemptions are numbered after the user's own, so a per-user limit the user already
   * reached stays reached; a reward granted for the same source to both keeps the user's, and the
   * guest's copy is withdrawn if still unused.
   */
  async mergeGuest(guestId: string, userId: string): Promise<{ redemptions: number; grants: number }> {
    return this.ctx.tx(
      async (trx: CouponTrx) => {
        let redemptions = 0;
        let grants = 0;
        const rows = await trx
          .selectFrom('coupon_redemptions')
          .selectAll()
          .where('actor_type', '=', 'guest')
          .where('actor_id', '=', guestId)
          .orderBy('id')
          .execute();
        for (const r of rows) {
          const top = await trx
            .selectFrom('coupon_redemptions')
            .select((eb) => eb.fn.max('seq').as('seq'))
            .where('coupon_id', '=', r.coupon_id)
            .where('actor_type', '=', 'user')
            .where('actor_id', '=', userId)
            .executeTakeFirst();
          const seq = Number(top?.seq ?? 0) + 1;
          const res = await trx
            .updateTable('coupon_redemptions')
            .set({ actor_type: 'user', actor_id: userId, seq })
            .where('id', '=', r.id)
            .where('actor_type', '=', 'guest')
            .where('actor_id', '=', guestId)
            .executeTakeFirst();
          redemptions += Number(res.numUpdatedRows);
        }

        const guestGrants = await trx
          .selectFrom('coupon_grants')
          .selectAll()
          .where('actor_type', '=', 'guest')
          .where('actor_id', '=', guestId)
          .execute();
        for (const g of guestGrants) {
          const twin = await trx
            .selectFrom('coupon_grants')
            .select('id')
            .where('source', '=', g.source)
            .where('actor_type', '=', 'user')
            .where('actor_id', '=', userId)
            .executeTakeFirst();
          if (twin) {
            await trx.deleteFrom('coupon_grants').where('id', '=', g.id).execute();
            await trx.updateTable('coupons').set({ active: 0, updated_at: new Date().toISOString() }).where('id', '=', g.coupon_id).where('redemptions_count', '=', 0).execute();
          } else {
            await trx.updateTable('coupon_grants').set({ actor_type: 'user', actor_id: userId }).where('id', '=', g.id).execute();
            grants++;
          }
        }
        await trx
          .updateTable('coupons')
          .set({ owner_actor_type: 'user', owner_actor_id: userId })
          .where('owner_actor_type', '=', 'guest')
          .where('owner_actor_id', '=', guestId)
          .execute();
        return { redemptions, grants };
      },
      // Two merges of one guest at once: PostgreSQL aborts one (retried by ctx.tx), which then finds nothing.
      { isolation: 'serializable' },
    );
  }

  /**
   * Forgets an actor: redemptions, grants and personal coupons (its Idempotency-Key answers expire
   * with the kernel's TTL). Coupon counters
   * stay as they are: a used single-use code does not come back because its user left.
   */
  async forget(actorType: ActorType, actorIds: string[]): Promise<void> {
    if (!actorIds.length) return;
    await this.ctx.tx(async (trx: CouponTrx) => {
      await trx.deleteFrom('coupon_redemptions').where('actor_type', '=', actorType).where('actor_id', 'in', actorIds).execute();
      await trx.deleteFrom('coupon_grants').where('actor_type', '=', actorType).where('actor_id', 'in', actorIds).execute();
      await trx.deleteFrom('coupons').where('kind', '=', 'personal').where('owner_actor_type', '=', actorType).where('owner_actor_id', 'in', actorIds).execute();
    });
  }

  async redemptionsOf(actorType: ActorType, actorId: string): Promise<Redemption[]> {
    const rows = await this.db
      .selectFrom('coupon_redemptions')
      .selectAll()
      .where('actor_type', '=', actorType)
      .where('actor_id', '=', actorId)
      .orderBy('id')
      .execute();
    return rows.map((r) => toRedemption(r));
  }

  async grantsOf(actorType: ActorType, actorId: string): Promise<CouponGrant[]> {
    const grants = await this.db
      .selectFrom('coupon_grants')
      .selectAll()
      .where('actor_type', '=', actorType)
      .where('actor_id', '=', actorId)
      .orderBy('id')
      .execute();
    if (!grants.length) return [];
    const coupons = await this.db
      .selectFrom('coupons')
      .selectAll()
      .where('id', 'in', grants.map((g) => g.coupon_id))
      .execute();
    const byId = new Map(coupons.map((c) => [c.id, c]));
    return grants.map((g) => toGrant(g, byId.get(g.coupon_id)!));
  }

  async exportUser(userId: string): Promise<{ redemptions: Redemption[]; grants: CouponGrant[] }> {
    return { redemptions: await this.redemptionsOf('user', userId), grants: await this.grantsOf('user', userId) };
  }
}
