import { sql } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import { typedDb } from '../../core/db/dialect.js';
import type { Actor } from '../../core/http/access.js';
import { isUniqueViolation } from '../../core/db/database.js';
import type { IdempotencyClaim } from '../../core/http/idempotency.js';
import { conflict, notFound, problem } from '../../core/http/problem.js';
import { newId, normalizeCode } from './codes.js';
import type { CouponsConfig } from './config.js';
import { toRedemption, type Redemption } from './model.js';
import type { CouponDb, CouponRow, CouponTables, CouponTrx, RedemptionRow } from './schema.js';

export interface RedeemResult {
  status: number;
  redemption: Redemption;
}

/** Why a coupon cannot be redeemed right now, or null when it can (before the counters are touched). */
export function redeemBlocker(c: CouponRow, actor: Pick<Actor, 'type' | 'id' | 'tenantId'>, now = Date.now()) {
  // Unknown, withdrawn, a template, someone else's personal code, another tenant's: all look the same,
  // so a guesser learns nothing about which codes exist.
  const hidden =
    Number(c.active) !== 1 ||
    c.kind === 'template' ||
    (c.kind === 'personal' && (c.owner_actor_type !== actor.type || c.owner_actor_id !== actor.id)) ||
    (c.tenant_id !== null && c.tenant_id !== actor.tenantId);
  if (hidden) return notFound('coupon_not_found');
  if (c.starts_at !== null && new Date(c.starts_at).getTime() > now) return problem(422, 'coupon_not_started');
  if (c.ends_at !== null && new Date(c.ends_at).getTime() <= now) return problem(422, 'coupon_expired');
  return null;
}

/**
 * Redemption: exactly-once under concurrency on both dialects.
 *
 * In one transaction: check the coupon, then
 * `UPDATE coupons SET redemptions_count = redemptions_count + 1 WHERE … redemptions_count < max`
 * — on PostgreSQL that row lock serializes every redemption of the same coupon, and the
 * statements after it see what the previous winner committed; SQLite runs one write
 * transaction at a time. The per-actor count is read again after the lock, and the unique
 * (coupon, actor, seq) constraint is the last line of defence for the per-user limit.
 * With an Idempotency-Key (the kernel's, see core/http/idempotency.ts) the answer is stored in
 * the same transaction, so a crash after the commit cannot make a retry redeem twice.
 */
export class Redeemer {
  constructor(private readonly ctx: ModuleContext<CouponsConfig>) {}

  /** This module's tables, typed (see schema.ts). */
  private get db(): CouponDb {
    return typedDb<CouponTables>(this.ctx);
  }

  async redeem({ code, actor, idempotency }: { code: string; actor: Actor; idempotency?: IdempotencyClaim }): Promise<RedeemResult> {
    const row = await this.ctx.tx(async (trx) => {
      const redeemed = await this.redeemIn(trx, normalizeCode(code), actor, idempotency);
      // In the same transaction: the event exists if and only if the redemption does, and the
      // kernel delivers it (retrying a failing handler) after the commit.
      const { id, redeemedAt: _at, ...rest } = toRedemption(redeemed);
      trx.emit('coupon.redeemed', { redemptionId: id, ...rest });
      return redeemed;
    });
    return { status: 201, redemption: toRedemption(row) };
  }

  private async redeemIn(trx: CouponTrx, code: string, actor: Actor, idempotency: IdempotencyClaim | undefined): Promise<RedemptionRow> {
    const now = new Date().toISOString();
    const coupon = await trx.selectFrom('coupons').selectAll().where('code', '=', code).executeTakeFirst();
    if (!coupon) throw notFound('coupon_not_found');
    const blocker = redeemBlocker(coupon, actor);
    if (blocker) throw blocker;

    const limit = coupon.per_user_limit === null ? null : Number(coupon.per_user_limit);
    // Cheap early answer: a repeat by the same actor says "already redeemed", not "exhausted".
    if (limit !== null && (await this.countFor(trx, coupon.id, actor)) >= limit) throw conflict('coupon_already_redeemed');

    const claimed = await trx
      .updateTable('coupons')
      .set({ redemptions_count: sql`redemptions_count + 1` })
      .where('id', '=', coupon.id)
      .where('active', '=', 1)
      .where((eb) => eb.or([eb('max_redemptions', 'is', null), eb('redemptions_count', '<', eb.ref('max_redemptions'))]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) {
      const fresh = await trx.selectFrom('coupons').select('active').where('id', '=', coupon.id).executeTakeFirst();
      throw fresh && Number(fresh.active) === 1 ? conflict('coupon_exhausted') : notFound('coupon_not_found');
    }
    // Read again now that this transaction holds the coupon row: sees any redemption committed meanwhile.
    const count = await this.countFor(trx, coupon.id, actor);
    if (limit !== null && count >= limit) throw conflict('coupon_already_redeemed');

    const row: RedemptionRow = {
      id: newId(),
      coupon_id: coupon.id,
      code: coupon.code,
      type: coupon.type,
      value: coupon.value === null ? null : Number(coupon.value),
      currency: coupon.currency,
      item_key: coupon.item_key,
      actor_type: actor.type,
      actor_id: actor.id,
      seq: count + 1,
      created_at: now,
    };
    try {
      await trx.insertInto('coupon_redemptions').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('coupon_already_redeemed');
      throw err;
    }
    await idempotency?.saveIn(trx, 201, toRedemption(row));
    return row;
  }

  private async countFor(trx: CouponTrx, couponId: string, actor: Actor): Promise<number> {
    const r = await trx
      .selectFrom('coupon_redemptions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('coupon_id', '=', couponId)
      .where('actor_type', '=', actor.type)
      .where('actor_id', '=', actor.id)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
