import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ModuleContext } from '../../core/module.js';
import { forUpdate, lockKey, toIsoOrNull, toIso, typedDb } from '../../core/db/dialect.js';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import type { Catalog, Plan } from './catalog.js';
import type { PlansConfig } from './config.js';
import { ownerKey, type OwnerKey, type PlanOwner } from './owner.js';
import { decide, grantsPlan } from './state-machine.js';
import { SUBSCRIPTION_STATUSES, type PlansDb, type PlansTables, type PlansTrx, type SubscriptionRow, type SubscriptionStatus } from './schema.js';

export interface Subscription {
  id: string;
  owner: { type: 'tenant' | 'user'; id: string };
  planKey: string;
  provider: string;
  providerSubscriptionId: string;
  status: SubscriptionStatus;
  currentPeriodEnd: string | null;
  trialEnd: string | null;
  cancelAtPeriodEnd: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A state offered to the machine (a payments event, or a prepaid period). */
export interface SubscriptionChange {
  provider: string;
  providerSubscriptionId: string;
  /** null: keep the stored plan (an event that does not name it). */
  planKey: string | null;
  owner: PlanOwner;
  status: SubscriptionStatus;
  currentPeriodEnd?: string | null;
  trialEnd?: string | null;
  cancelAtPeriodEnd?: boolean;
  cause: string;
  /** Unique per change (the outbox event id): the same key twice is a replay and changes nothing. */
  eventKey: string;
}

export type ApplyOutcome = 'applied' | 'stale' | 'terminal' | 'replay';

export function toSubscription(r: SubscriptionRow): Subscription {
  return {
    id: r.id,
    owner: { type: r.owner_type, id: r.owner_id },
    planKey: r.plan_key,
    provider: r.provider,
    providerSubscriptionId: r.provider_subscription_id,
    status: r.status,
    currentPeriodEnd: toIsoOrNull(r.current_period_end),
    trialEnd: toIsoOrNull(r.trial_end),
    cancelAtPeriodEnd: Number(r.cancel_at_period_end) === 1,
    createdAt: toIso(r.created_at),
    updatedAt: toIso(r.updated_at),
  };
}

const isoOrNull = (v: string | null | undefined): string | null => {
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
};

/** Subscriptions per owner, driven by payments' events through one state machine (state-machine.ts). */
export class Subscriptions {
  /** owner → plan key (or null): the hot path (every metered call) reads it from here. */
  private readonly planOf: LRUCache<string, { key: string | null }>;

  constructor(
    private readonly ctx: ModuleContext<PlansConfig>,
    private readonly catalog: Catalog,
  ) {
    this.planOf = new LRUCache({ max: 50_000, ttl: Math.max(1, ctx.config.planCacheMs) });
  }

  private get db(): PlansDb {
    return typedDb<PlansTables>(this.ctx);
  }

  async apply(change: SubscriptionChange): Promise<{ outcome: ApplyOutcome; subscription: Subscription | null }> {
    if (!SUBSCRIPTION_STATUSES.includes(change.status)) throw new RangeError(`Unknown subscription status ${String(change.status)}`);
    const key = ownerKey(change.owner);
    const result = await this.ctx.tx(async (trx: PlansTrx) => {
      // One change at a time per provider subscription, so two deliveries never interleave.
      await lockKey(trx, this.ctx.dialect, `plans:sub:${change.provider}:${change.providerSubscriptionId}`);
      const seen = await trx.selectFrom('plan_subscription_events').select('id').where('event_key', '=', change.eventKey).executeTakeFirst();
      const stored = await trx
        .selectFrom('plan_subscriptions')
        .selectAll()
        .where('provider', '=', change.provider)
        .where('provider_subscription_id', '=', change.providerSubscriptionId)
        .$call(forUpdate(this.ctx.dialect))
        .executeTakeFirst();
      if (seen) return { outcome: 'replay' as const, row: stored ?? null, previous: null };
      const now = new Date().toISOString();
      const periodEnd = isoOrNull(change.currentPeriodEnd);
      let row: SubscriptionRow;
      let outcome: ApplyOutcome = 'applied';
      const previous = stored ? { status: stored.status, planKey: stored.plan_key } : null;
      if (!stored) {
        if (!change.planKey) return { outcome: 'stale' as const, row: null, previous: null };
        row = {
          id: randomUUID(),
          owner_type: key.type,
          owner_id: key.id,
          plan_key: change.planKey,
          provider: change.provider,
          provider_subscription_id: change.providerSubscriptionId,
          status: change.status,
          current_period_end: periodEnd,
          trial_end: isoOrNull(change.trialEnd),
          cancel_at_period_end: change.cancelAtPeriodEnd ? 1 : 0,
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto('plan_subscriptions').values(row).execute();
      } else {
        const decision = decide({ status: stored.status, currentPeriodEnd: toIsoOrNull(stored.current_period_end) }, { status: change.status, currentPeriodEnd: periodEnd });
        row = stored;
        if (decision === 'apply') {
          const set = {
            status: change.status,
            plan_key: change.planKey ?? stored.plan_key,
            current_period_end: periodEnd ?? toIsoOrNull(stored.current_period_end),
            trial_end: change.trialEnd === undefined ? toIsoOrNull(stored.trial_end) : isoOrNull(change.trialEnd),
            cancel_at_period_end: change.cancelAtPeriodEnd === undefined ? Number(stored.cancel_at_period_end) : change.cancelAtPeriodEnd ? 1 : 0,
            updated_at: now,
          };
          await trx.updateTable('plan_subscriptions').set(set).where('id', '=', stored.id).execute();
          row = { ...stored, ...set };
        } else {
          outcome = decision;
        }
      }
      await trx
        .insertInto('plan_subscription_events')
        .values({
          id: randomUUID(),
          subscription_id: row.id,
          event_key: change.eventKey,
          cause: change.cause.slice(0, 40),
          status: change.status,
          current_period_end: periodEnd,
          outcome,
          created_at: now,
        })
        .execute();
      if (outcome === 'applied' && (!previous || previous.status !== row.status || previous.planKey !== row.plan_key)) {
        trx.emit(
          'plans.subscription.changed',
          {
            subscriptionId: row.id,
            ownerType: row.owner_type,
            ownerId: row.owner_id,
            tenantId: row.owner_type === 'tenant' ? row.owner_id : null,
            userId: row.owner_type === 'user' ? row.owner_id : null,
            planKey: row.plan_key,
            previousPlanKey: previous?.planKey ?? null,
            status: row.status,
            previousStatus: previous?.status ?? null,
            provider: row.provider,
            currentPeriodEnd: toIsoOrNull(row.current_period_end),
            cause: change.cause,
          },
          { key: `${row.owner_type}:${row.owner_id}` },
        );
      }
      trx.afterCommit(() => this.forget(key));
      return { outcome, row, previous };
    });
    return { outcome: result.outcome, subscription: result.row ? toSubscription(result.row) : null };
  }

  /**
   * A paid plan checkout without a provider subscription (Mercado Pago, Wompi): each payment
   * buys one interval, added to the end of the live period (or from now). Keyed by the payment,
   * so a replayed event buys nothing twice.
   */
  async prepaid(input: { owner: PlanOwner; planKey: string; provider: string; paymentId: string; interval: 'month' | 'year' }) {
    const key = ownerKey(input.owner);
    const providerSubscriptionId = `prepaid:${key.type}:${key.id}:${input.planKey}`;
    return this.ctx.tx(async (trx: PlansTrx) => {
      await lockKey(trx, this.ctx.dialect, `plans:sub:${input.provider}:${providerSubscriptionId}`);
      const stored = await trx
        .selectFrom('plan_subscriptions')
        .select(['status', 'current_period_end'])
        .where('provider', '=', input.provider)
        .where('provider_subscription_id', '=', providerSubscriptionId)
        .executeTakeFirst();
      const now = new Date();
      const storedEnd = stored?.current_period_end ? new Date(toIso(stored.current_period_end)) : null;
      const from = stored && stored.status !== 'canceled' && storedEnd && storedEnd > now ? storedEnd : now;
      const end = new Date(from);
      if (input.interval === 'year') end.setUTCFullYear(end.getUTCFullYear() + 1);
      else end.setUTCMonth(end.getUTCMonth() + 1);
      return this.apply({
        provider: input.provider,
        providerSubscriptionId,
        planKey: input.planKey,
        owner: input.owner,
        status: 'active',
        currentPeriodEnd: end.toISOString(),
        cancelAtPeriodEnd: true,
        cause: 'payment.succeeded',
        eventKey: `payment:${input.provider}:${input.paymentId}`,
      });
    });
  }

  /** The subscription that gives the owner its plan now, if any: the most recently changed live one. */
  async current(owner: PlanOwner): Promise<Subscription | null> {
    const key = ownerKey(owner);
    const rows = await this.db
      .selectFrom('plan_subscriptions')
      .selectAll()
      .where('owner_type', '=', key.type)
      .where('owner_id', '=', key.id)
      .where('status', '!=', 'canceled')
      .orderBy('updated_at', 'desc')
      .limit(20)
      .execute();
    const graceMs = this.ctx.config.graceHours * 3_600_000;
    const now = Date.now();
    for (const r of rows) {
      if (!grantsPlan(r.status, this.ctx.config.pastDueKeepsPlan)) continue;
      const end = r.current_period_end ? Date.parse(toIso(r.current_period_end)) : null;
      if (end !== null && end + graceMs < now) continue;
      return toSubscription(r);
    }
    return null;
  }

  /** The owner's latest subscription in any state (canceled included), for the caller's view. */
  async latest(owner: PlanOwner): Promise<Subscription | null> {
    const key = ownerKey(owner);
    const row = await this.db
      .selectFrom('plan_subscriptions')
      .selectAll()
      .where('owner_type', '=', key.type)
      .where('owner_id', '=', key.id)
      .orderBy('updated_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toSubscription(row) : null;
  }

  /** The plan the owner has now: its live subscription's, else the default plan, else null. Cached per replica. */
  async currentPlan(owner: PlanOwner): Promise<Plan | null> {
    const k = ownerKey(owner);
    const cacheKey = `${k.type}:${k.id}`;
    let hit = this.planOf.get(cacheKey);
    if (!hit) {
      const sub = await this.current(owner);
      hit = { key: sub?.planKey ?? null };
      this.planOf.set(cacheKey, hit);
    }
    const plan = hit.key ? await this.catalog.get(hit.key) : undefined;
    if (plan) return plan;
    const fallback = this.ctx.config.defaultPlan;
    return fallback ? ((await this.catalog.get(fallback)) ?? null) : null;
  }

  forget(key: OwnerKey): void {
    this.planOf.delete(`${key.type}:${key.id}`);
  }

  async list(q: { limit?: number; cursor?: string; status?: SubscriptionStatus; planKey?: string; ownerId?: string }): Promise<PageResult<Subscription>> {
    let query = this.db.selectFrom('plan_subscriptions').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    if (q.planKey) query = query.where('plan_key', '=', q.planKey);
    if (q.ownerId) query = query.where('owner_id', '=', q.ownerId);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['id'], key: (r) => [r.id] });
    return { data: page.data.map(toSubscription), nextCursor: page.nextCursor };
  }

  async history(subscriptionId: string) {
    const rows = await this.db
      .selectFrom('plan_subscription_events')
      .selectAll()
      .where('subscription_id', '=', subscriptionId)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map((r) => ({ cause: r.cause, status: r.status, currentPeriodEnd: toIsoOrNull(r.current_period_end), outcome: r.outcome, at: toIso(r.created_at) }));
  }

  async get(id: string): Promise<Subscription | null> {
    const row = await this.db.selectFrom('plan_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSubscription(row) : null;
  }
}
