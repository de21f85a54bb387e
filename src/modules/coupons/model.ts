import { toIso, toIsoOrNull } from '../../core/db/dialect.js';
import type { ActorType, CouponKind, CouponRow, CouponType, GrantRow, RedemptionRow } from './schema.js';

/** A coupon as the API shows it. */
export interface Coupon {
  id: string;
  code: string;
  kind: CouponKind;
  type: CouponType;
  value: number | null;
  currency: string | null;
  itemKey: string | null;
  description: string | null;
  maxRedemptions: number | null;
  perUserLimit: number | null;
  redemptionsCount: number;
  startsAt: string | null;
  endsAt: string | null;
  tenantId: string | null;
  active: boolean;
  ownerActorType: ActorType | null;
  ownerActorId: string | null;
  templateId: string | null;
  createdAt: string;
  updatedAt: string;
}

export const toCoupon = (r: CouponRow): Coupon => ({
  id: r.id,
  code: r.code,
  kind: r.kind,
  type: r.type,
  value: r.value === null ? null : Number(r.value),
  currency: r.currency,
  itemKey: r.item_key,
  description: r.description,
  maxRedemptions: r.max_redemptions === null ? null : Number(r.max_redemptions),
  perUserLimit: r.per_user_limit === null ? null : Number(r.per_user_limit),
  redemptionsCount: Number(r.redemptions_count),
  startsAt: toIsoOrNull(r.starts_at),
  endsAt: toIsoOrNull(r.ends_at),
  tenantId: r.tenant_id,
  active: Number(r.active) === 1,
  ownerActorType: r.owner_actor_type,
  ownerActorId: r.owner_actor_id,
  templateId: r.template_id,
  createdAt: toIso(r.created_at),
  updatedAt: toIso(r.updated_at),
});

/** What the caller applies: the redemption answer of POST /v1/coupons/redeem. */
export interface Redemption {
  id: string;
  couponId: string;
  code: string;
  type: CouponType;
  value: number | null;
  currency: string | null;
  itemKey: string | null;
  actorType: ActorType;
  actorId: string;
  redeemedAt: string;
}

export const toRedemption = (r: RedemptionRow): Redemption => ({
  id: r.id,
  couponId: r.coupon_id,
  code: r.code,
  type: r.type,
  value: r.value === null ? null : Number(r.value),
  currency: r.currency,
  itemKey: r.item_key,
  actorType: r.actor_type,
  actorId: r.actor_id,
  redeemedAt: toIso(r.created_at),
});

/** A reward granted to an actor: a personal single-use code. */
export interface CouponGrant {
  id: string;
  source: string;
  actorType: ActorType;
  actorId: string;
  templateId: string;
  couponId: string;
  /** The personal code to redeem. */
  code: string;
  type: CouponType;
  value: number | null;
  currency: string | null;
  itemKey: string | null;
  endsAt: string | null;
  /** available: not redeemed yet; redeemed; expired: past endsAt; revoked: deactivated. */
  status: 'available' | 'redeemed' | 'expired' | 'revoked';
  grantedAt: string;
}

export function toGrant(g: GrantRow, c: CouponRow, now = Date.now()): CouponGrant {
  const coupon = toCoupon(c);
  let status: CouponGrant['status'] = 'available';
  if (coupon.redemptionsCount > 0) status = 'redeemed';
  else if (!coupon.active) status = 'revoked';
  else if (coupon.endsAt && Date.parse(coupon.endsAt) <= now) status = 'expired';
  return {
    id: g.id,
    source: g.source,
    actorType: g.actor_type,
    actorId: g.actor_id,
    templateId: g.template_id,
    couponId: g.coupon_id,
    code: coupon.code,
    type: coupon.type,
    value: coupon.value,
    currency: coupon.currency,
    itemKey: coupon.itemKey,
    endsAt: coupon.endsAt,
    status,
    grantedAt: toIso(g.created_at),
  };
}
