import type { ModuleContext } from '../../core/module.js';
import { failedStatementAbortsTransaction, typedDb } from '../../core/db/dialect.js';
import type { Actor } from '../../core/http/access.js';
import type { IdempotencyClaim } from '../../core/http/idempotency.js';
import { isUniqueViolation } from '../../core/db/database.js';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import { conflict, notFound, type FieldError } from '../../core/http/problem.js';
import { generateCode, newId, normalizeCode } from './codes.js';
import type { CouponsConfig } from './config.js';
import { toCoupon, type Coupon, type CouponGrant, type Redemption } from './model.js';
import { Redeemer, type RedeemResult } from './redeem.js';
import { Grants, type GrantRewardInput, type MineEntry } from './grants.js';
import { Lifecycle } from './lifecycle.js';
import type { CouponDb, CouponKind, CouponRow, CouponTables, CouponTrx, CouponType } from './schema.js';
import { checkCode, checkLimitsAndWindow, checkValue, throwIfErrors, type CouponInput, type CouponPatch } from './validate.js';

export interface ListCouponsQuery {
  limit?: number;
  cursor?: string;
  type?: CouponType;
  kind?: CouponKind;
  active?: boolean;
  tenantId?: string;
  /** Codes starting with this (normalized). */
  codePrefix?: string;
}

/** Coupons: admin definitions, redemption, rewards for other modules, guest merge and privacy. */
export class CouponService {
  private readonly redeemer: Redeemer;
  private readonly grants: Grants;
  readonly lifecycle: Lifecycle;

  constructor(private readonly ctx: ModuleContext<CouponsConfig>) {
    this.redeemer = new Redeemer(ctx);
    this.grants = new Grants(ctx, (trx, row) => this.insertWithCode(trx, row, true));
    this.lifecycle = new Lifecycle(ctx);
  }

  /** This module's tables, typed (see schema.ts). */
  private get db(): CouponDb {
    return typedDb<CouponTables>(this.ctx);
  }

  /** Case-insensitive, trimmed form under which codes are stored and looked up. */
  normalizeCode(code: string): string {
    return normalizeCode(code);
  }

  async create(input: CouponInput): Promise<Coupon> {
    const errors: FieldError[] = [];
    const value = checkValue(input, errors);
    const window = checkLimitsAndWindow(input, null, errors);
    const code = input.code === undefined ? null : checkCode(input.code, errors);
    if (input.kind !== undefined && input.kind !== 'code' && input.kind !== 'template') {
      errors.push({ pointer: '/body/kind', code: 'enum', detail: 'code or template (personal coupons come from grantReward)' });
    }
    throwIfErrors(errors);
    const now = new Date().toISOString();
    const row: CouponRow = {
      id: newId(),
      code: code ?? '',
      kind: input.kind ?? 'code',
      type: input.type,
      ...{ value: value.value, currency: value.currency, item_key: value.itemKey },
      description: input.description ?? null,
      max_redemptions: input.maxRedemptions ?? null,
      per_user_limit: input.perUserLimit === undefined ? this.ctx.config.defaultPerUserLimit : input.perUserLimit,
      redemptions_count: 0,
      starts_at: window.startsAt ?? null,
      ends_at: window.endsAt ?? null,
      tenant_id: input.tenantId ?? null,
      active: input.active === false ? 0 : 1,
      owner_actor_type: null,
      owner_actor_id: null,
      template_id: null,
      created_at: now,
      updated_at: now,
    };
    return this.ctx.tx(async (trx: CouponTrx) => {
      const created = await this.insertWithCode(trx, row, code === null);
      await this.ctx.audit.record({ action: 'coupons.created', target: { type: 'coupon', id: created.id }, after: { kind: created.kind, type: created.type, value: created.value, currency: created.currency, maxRedemptions: created.max_redemptions, active: created.active === 1 } }, trx);
      return toCoupon(created);
    });
  }

  /** Inserts a coupon; a generated code is drawn again on the (rare) collision, a chosen one answers 409. */
  private async insertWithCode(db: CouponDb, row: CouponRow, generate: boolean): Promise<CouponRow> {
    for (let attempt = 0; ; attempt++) {
      const candidate = generate ? { ...row, code: generateCode(this.ctx.config.codeLength) } : row;
      try {
        if (generate && failedStatementAbortsTransaction(this.ctx.dialect)) {
          // Probe first so a collision does not abort the transaction; the unique index still decides.
          const taken = await db.selectFrom('coupons').select('id').where('code', '=', candidate.code).executeTakeFirst();
          if (taken && attempt < 5) continue;
        }
        await db.insertInto('coupons').values(candidate).execute();
        return candidate;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (!generate) throw conflict('coupon_code_taken', { params: { code: row.code } });
        if (attempt >= 5) throw err;
      }
    }
  }

  async get(id: string): Promise<Coupon | null> {
    const row = await this.db.selectFrom('coupons').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toCoupon(row) : null;
  }

  async getByCode(code: string): Promise<Coupon | null> {
    const row = await this.db.selectFrom('coupons').selectAll().where('code', '=', normalizeCode(code)).executeTakeFirst();
    return row ? toCoupon(row) : null;
  }

  /** Newest first (ids sort by creation time). */
  async list(q: ListCouponsQuery = {}): Promise<PageResult<Coupon>> {
    let query = this.db.selectFrom('coupons').selectAll();
    if (q.type) query = query.where('type', '=', q.type);
    if (q.kind) query = query.where('kind', '=', q.kind);
    if (q.active !== undefined) query = query.where('active', '=', q.active ? 1 : 0);
    if (q.tenantId) query = query.where('tenant_id', '=', q.tenantId);
    if (q.codePrefix) {
      const prefix = normalizeCode(q.codePrefix).replace(/[%_\\]/g, (c) => `\\${c}`);
      query = query.where((eb) => eb('code', 'like', `${prefix}%`));
    }
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['id'], key: (r) => [(r).id] });
    return { data: page.data.map((r) => toCoupon(r)), nextCursor: page.nextCursor };
  }

  async update(id: string, patch: CouponPatch): Promise<Coupon> {
    const current = await this.get(id);
    if (!current) throw notFound('coupon_not_found');
    const errors: FieldError[] = [];
    const window = checkLimitsAndWindow(patch, current, errors);
    throwIfErrors(errors);
    const set: Partial<CouponRow> = { updated_at: new Date().toISOString() };
    if (patch.active !== undefined) set.active = patch.active ? 1 : 0;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.maxRedemptions !== undefined) set.max_redemptions = patch.maxRedemptions;
    if (patch.perUserLimit !== undefined) set.per_user_limit = patch.perUserLimit;
    if (window.startsAt !== undefined) set.starts_at = window.startsAt;
    if (window.endsAt !== undefined) set.ends_at = window.endsAt;
    if (patch.tenantId !== undefined) set.tenant_id = patch.tenantId;
    const updated = await this.ctx.tx(async (trx: CouponTrx) => {
      let query = trx.updateTable('coupons').set(set).where('id', '=', id);
      // Lowering the cap below what was already redeemed would rewrite history: refuse it atomically.
      if (patch.maxRedemptions != null) query = query.where('redemptions_count', '<=', patch.maxRedemptions);
      const res = await query.executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return false;
      const { updated_at: _at, description: _d, ...changed } = set;
      await this.ctx.audit.record({ action: 'coupons.updated', target: { type: 'coupon', id }, after: changed }, trx);
      return true;
    });
    if (!updated) {
      if (!(await this.get(id))) throw notFound('coupon_not_found');
      throw conflict('coupon_max_below_count', {
        errors: [{ pointer: '/body/maxRedemptions', code: 'minimum', detail: 'Lower than the redemptions already made' }],
      });
    }
    return (await this.get(id))!;
  }

  /** Deletes a coupon nobody redeemed or was granted; otherwise 409 (deactivate it instead). */
  async remove(id: string): Promise<void> {
    await this.ctx.tx(async (trx: CouponTrx) => {
      const row = await trx.selectFrom('coupons').select(['id', 'redemptions_count']).where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound('coupon_not_found');
      const used = await trx.selectFrom('coupon_redemptions').select('id').where('coupon_id', '=', id).limit(1).executeTakeFirst();
      const granted = await trx
        .selectFrom('coupon_grants')
        .select('id')
        .where((eb) => eb.or([eb('template_id', '=', id), eb('coupon_id', '=', id)]))
        .limit(1)
        .executeTakeFirst();
      if (used || granted || Number(row.redemptions_count) > 0) throw conflict('coupon_in_use');
      await trx.deleteFrom('coupons').where('id', '=', id).where('redemptions_count', '=', 0).execute();
      await this.ctx.audit.record({ action: 'coupons.deleted', target: { type: 'coupon', id } }, trx);
    });
  }

  /** Redeems `code` for `actor`; see redeem.ts for the rules and the Idempotency-Key behaviour. */
  redeem(input: { code: string; actor: Actor; idempotency?: IdempotencyClaim }): Promise<RedeemResult> {
    return this.redeemer.redeem(input);
  }

  /**
   * Rewards `actorId` with a personal single-use copy of the coupon `couponCode` (usually a
   * `template`). Idempotent per (source, actor): the second call returns the first grant.
   */
  grantReward(input: GrantRewardInput): Promise<CouponGrant & { created: boolean }> {
    return this.grants.grant(input);
  }

  /** The caller's redemptions and granted rewards, newest first. */
  listMine(actor: Pick<Actor, 'type' | 'id'>, page: { limit?: number; cursor?: string; kind?: 'redemption' | 'grant' }): Promise<PageResult<MineEntry>> {
    return this.grants.listMine(actor, page);
  }

  async redemptionsOf(actor: Pick<Actor, 'type' | 'id'>): Promise<Redemption[]> {
    return this.lifecycle.redemptionsOf(actor.type, actor.id);
  }
}
