import { sql } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import { typedDb } from '../../core/db/dialect.js';
import type { Actor } from '../../core/http/access.js';
import { isUniqueViolation } from '../../core/db/database.js';
import { decodeCursor, encodeCursor, MAX_PAGE_SIZE, type PageResult } from '../../core/db/paginate.js';
import { badRequest, conflict, notFound, problem, type FieldError } from '../../core/http/problem.js';
import { newId, normalizeCode } from './codes.js';
import type { CouponsConfig } from './config.js';
import { toGrant, toRedemption, type CouponGrant, type Redemption } from './model.js';
import type { ActorType, CouponDb, CouponRow, CouponTables, CouponTrx, GrantRow } from './schema.js';

export interface GrantRewardInput {
  /** Code of the coupon to copy: usually a `template`; a `code` coupon works too. */
  couponCode: string;
  actorType: ActorType;
  actorId: string;
  /** Why it was granted, e.g. `gamification:badge:sharer`. One grant per (source, actor). */
  source: string;
}

export type MineEntry =
  | { kind: 'redemption'; id: string; at: string; redemption: Redemption }
  | { kind: 'grant'; id: string; at: string; grant: CouponGrant };

/** Thrown inside the transaction when the (source, actor) grant already exists. */
class AlreadyGranted extends Error {}

type InsertCoupon = (trx: CouponTrx, row: CouponRow, generate: boolean) => Promise<CouponRow>;

/**
 * Rewards. A grant issues a personal coupon: a single-use copy of the template (type, value,
 * window, tenant) with a fresh generated code that only its owner can redeem. The template's
 * `maxRedemptions`, when set, caps how many personal coupons it issues (its stock).
 */
export class Grants {
  constructor(
    private readonly ctx: ModuleContext<CouponsConfig>,
    private readonly insertCoupon: InsertCoupon,
  ) {}

  /** This module's tables, typed (see schema.ts). */
  private get db(): CouponDb {
    return typedDb<CouponTables>(this.ctx);
  }

  async grant(input: GrantRewardInput): Promise<CouponGrant & { created: boolean }> {
    const errors: FieldError[] = [];
    if (!['user', 'guest', 'service'].includes(input.actorType)) errors.push({ pointer: '/actorType', code: 'enum', detail: 'user, guest or service' });
    if (!input.actorId || input.actorId.length > 255) errors.push({ pointer: '/actorId', code: 'length', detail: '1-255 characters' });
    if (!input.source || input.source.length > 200) errors.push({ pointer: '/source', code: 'length', detail: '1-200 characters' });
    if (errors.length) throw badRequest('validation_failed', { errors });

    const existing = await this.find(input);
    if (existing) return { ...existing, created: false };
    let result: { grant: GrantRow; coupon: CouponRow };
    try {
      result = await this.ctx.tx(async (trx) => {
        const issued = await this.grantIn(trx, input);
        const grant = toGrant(issued.grant, issued.coupon);
        // With the grant, in its transaction: delivered after commit, never lost, never for a rolled-back grant.
        trx.emit('coupon.granted', {
          grantId: grant.id,
          couponId: grant.couponId,
          code: grant.code,
          source: grant.source,
          actorType: grant.actorType,
          actorId: grant.actorId,
        });
        return issued;
      });
    } catch (err) {
      if (err instanceof AlreadyGranted || isUniqueViolation(err)) {
        const winner = await this.find(input);
        if (winner) return { ...winner, created: false };
      }
      throw err;
    }
    return { ...toGrant(result.grant, result.coupon), created: true };
  }

  private async grantIn(trx: CouponTrx, input: GrantRewardInput): Promise<{ grant: GrantRow; coupon: CouponRow }> {
    const template = (await trx.selectFrom('coupons').selectAll().where('code', '=', normalizeCode(input.couponCode)).executeTakeFirst()) as
      | CouponRow
      | undefined;
    if (!template || template.kind === 'personal' || Number(template.active) !== 1) throw notFound('coupon_not_found');
    if (template.ends_at !== null && new Date(template.ends_at).getTime() <= Date.now()) throw problem(422, 'coupon_expired');
    const claimed = await trx
      .updateTable('coupons')
      .set({ redemptions_count: sql`redemptions_count + 1` })
      .where('id', '=', template.id)
      .where((eb) => eb.or([eb('max_redemptions', 'is', null), eb('redemptions_count', '<', eb.ref('max_redemptions'))]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw conflict('coupon_exhausted');

    const now = new Date().toISOString();
    const coupon = await this.insertCoupon(
      trx,
      {
        ...template,
        id: newId(),
        code: '',
        kind: 'personal',
        description: template.description,
        max_redemptions: 1,
        per_user_limit: 1,
        redemptions_count: 0,
        active: 1,
        owner_actor_type: input.actorType,
        owner_actor_id: input.actorId,
        template_id: template.id,
        created_at: now,
        updated_at: now,
      },
      true,
    );
    const grant: GrantRow = {
      id: newId(),
      source: input.source,
      actor_type: input.actorType,
      actor_id: input.actorId,
      template_id: template.id,
      coupon_id: coupon.id,
      created_at: now,
    };
    try {
      await trx.insertInto('coupon_grants').values(grant).execute();
    } catch (err) {
      // Rolls back the stock taken and the personal coupon: the earlier grant stands alone.
      if (isUniqueViolation(err)) throw new AlreadyGranted();
      throw err;
    }
    return { grant, coupon };
  }

  private async find(input: Pick<GrantRewardInput, 'source' | 'actorType' | 'actorId'>): Promise<CouponGrant | null> {
    const g = await this.db
      .selectFrom('coupon_grants')
      .selectAll()
      .where('source', '=', input.source)
      .where('actor_type', '=', input.actorType)
      .where('actor_id', '=', input.actorId)
      .executeTakeFirst();
    if (!g) return null;
    const c = await this.db.selectFrom('coupons').selectAll().where('id', '=', g.coupon_id).executeTakeFirstOrThrow();
    return toGrant(g, c);
  }

  /**
   * Redemptions and grants in one list, newest first. Ids sort by time in both tables, so a
   * single id cursor pages the merged list: read limit+1 of each below the cursor, merge, cut.
   */
  async listMine(
    actor: Pick<Actor, 'type' | 'id'>,
    page: { limit?: number; cursor?: string; kind?: 'redemption' | 'grant' },
  ): Promise<PageResult<MineEntry>> {
    const limit = Math.min(Math.max(page.limit ?? 20, 1), MAX_PAGE_SIZE);
    const below = page.cursor ? String(decodeCursor(page.cursor, 1)[0]) : null;
    const entries: MineEntry[] = [];
    if (page.kind !== 'grant') {
      let q = this.db.selectFrom('coupon_redemptions').selectAll().where('actor_type', '=', actor.type).where('actor_id', '=', actor.id);
      if (below) q = q.where('id', '<', below);
      for (const r of await q.orderBy('id', 'desc').limit(limit + 1).execute()) {
        const redemption = toRedemption(r);
        entries.push({ kind: 'redemption', id: redemption.id, at: redemption.redeemedAt, redemption });
      }
    }
    if (page.kind !== 'redemption') {
      let q = this.db
        .selectFrom('coupon_grants as g')
        .innerJoin('coupons as c', 'c.id', 'g.coupon_id')
        .selectAll('c')
        .select(['g.id as grant_id', 'g.source', 'g.actor_type as grant_actor_type', 'g.actor_id as grant_actor_id', 'g.template_id as grant_template_id', 'g.created_at as granted_at'])
        .where('g.actor_type', '=', actor.type)
        .where('g.actor_id', '=', actor.id);
      if (below) q = q.where('g.id', '<', below);
      for (const r of await q.orderBy('g.id', 'desc').limit(limit + 1).execute()) {
        const g: GrantRow = {
          id: r.grant_id,
          source: r.source,
          actor_type: r.grant_actor_type,
          actor_id: r.grant_actor_id,
          template_id: r.grant_template_id,
          coupon_id: r.id,
          created_at: r.granted_at,
        };
        const grant = toGrant(g, r);
        entries.push({ kind: 'grant', id: grant.id, at: grant.grantedAt, grant });
      }
    }
    entries.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const more = entries.length > limit;
    const data = entries.slice(0, limit);
    return { data, nextCursor: more ? encodeCursor([data[data.length - 1].id]) : null };
  }
}
