import type { ModuleContext } from '../../core/module.js';
import type { Guard } from '../../core/http/access.js';
import type { ApiCall } from '../../core/http/api-calls.js';
import { BufferedMeter } from './buffered-meter.js';
import { Catalog, type Plan } from './catalog.js';
import type { PlanDefinition, PlansConfig } from './config.js';
import { Meter, refusal, warningHeader, type IncrementOptions, type UsageState } from './metering.js';
import { limitTarget } from './limits.js';
import { ownerOfActor, type PlanOwner } from './owner.js';
import { Subscriptions, type Subscription, type SubscriptionChange } from './subscriptions.js';

export type { Plan } from './catalog.js';
export type { UsageState } from './metering.js';
export type { PlanOwner } from './owner.js';
export type { Subscription } from './subscriptions.js';

/** The header soft limits answer with (and the 429/402 problems' members say the same). */
export const WARNING_HEADER = 'plan-limit-warning';

/**
 * Plans: the catalog (yaml + admin edits), subscriptions per owner (tenant, or user without
 * tenants) from payments' events, usage counters and limits. `ctx.services.plans`.
 */
export class PlansService {
  readonly catalog: Catalog;
  readonly subscriptions: Subscriptions;
  readonly meter: Meter;
  /** Counts API calls in memory when `apiCalls.mode` is buffered (null: exact). */
  readonly buffer: BufferedMeter | null;
  /** Removes the API-call hook (module stop). */
  unhook: (() => void) | null = null;

  constructor(private readonly ctx: ModuleContext<PlansConfig>) {
    this.catalog = new Catalog(ctx);
    this.subscriptions = new Subscriptions(ctx, this.catalog);
    this.meter = new Meter(ctx, this.catalog, (owner) => this.subscriptions.currentPlan(owner));
    this.buffer = ctx.config.apiCalls.mode === 'buffered' ? new BufferedMeter(this.meter, ctx.config.apiCalls.flushMs, ctx.log) : null;
  }

  /** A plan by key, active or not (the shape payments reads for plan checkouts), or undefined. */
  getPlan(key: string): Promise<Plan | undefined> {
    return this.catalog.get(key);
  }

  listPlans(opts: { activeOnly?: boolean } = {}): Promise<Plan[]> {
    return this.catalog.list(opts.activeOnly ?? false);
  }

  savePlan(key: string, def: PlanDefinition): Promise<Plan> {
    return this.catalog.put(key, def);
  }

  removePlan(key: string): Promise<boolean> {
    return this.catalog.remove(key);
  }

  /** The plan the owner has now: live subscription's, else `defaultPlan`, else null (no limits). */
  currentPlan(owner: PlanOwner): Promise<Plan | null> {
    return this.subscriptions.currentPlan(owner);
  }

  /** The subscription giving the owner its plan now, or null. */
  subscription(owner: PlanOwner): Promise<Subscription | null> {
    return this.subscriptions.current(owner);
  }

  /** Feeds the state machine (the payments handlers do; tests and imports may too). */
  applySubscriptionChange(change: SubscriptionChange) {
    return this.subscriptions.apply(change);
  }

  /** This month's counters and running totals, each with the limit of the owner's plan. */
  usage(owner: PlanOwner): Promise<UsageState[]> {
    return this.meter.usage(owner);
  }

  /**
   * Counts `n` of `metric` for the owner (negative to give back, e.g. a deleted customer).
   * Joins the caller's ctx.tx. With `{ enforce: true }` a hard limit refuses the whole
   * increment with 402 `plan_limit_reached` (nothing counted), atomically: use it in the
   * transaction that creates the limited thing.
   *
   * @example
   *   await ctx.tx(async (trx) => {
   *     await ctx.services.plans!.increment({ tenantId }, 'customers', 1, { enforce: true });
   *     await trx.insertInto('customers').values(row).execute();
   *   });
   */
  increment(owner: PlanOwner, metric: string, n = 1, opts: IncrementOptions = {}): Promise<UsageState> {
    return this.meter.increment(owner, metric, n, opts);
  }

  /** Would `n` more of the limit's metric fit? (`allowed` is true in soft mode either way.) Reserves nothing. */
  checkLimit(owner: PlanOwner, limitName: string, n = 1) {
    return this.meter.check(owner, limitName, n);
  }

  /**
   * A preHandler for other modules' routes: refuses with 402 `plan_limit_reached` when the
   * caller's plan has no room for `n` more of `limitName` (hard mode), or lets it through with
   * a `Plan-Limit-Warning` header (soft mode). Callers without a plan owner (guests, the admin
   * token) pass. It only reads: count the thing with `increment` where it is created (with
   * `enforce` for an exact cap under concurrency).
   *
   * @example app.post('/customers', { preHandler: [ctx.access.requirePerson, plans.requireWithinLimit('maxCustomers')] }, …)
   */
  requireWithinLimit(limitName: string, n = 1): Guard {
    return async (request, reply) => {
      const owner = ownerOfActor(await request.actor());
      if (!owner) return;
      const state = await this.meter.check(owner, limitName, n);
      if (state.limit === null || state.usage + n <= state.limit) return;
      if (!state.allowed) throw refusal(state, false);
      reply.header(WARNING_HEADER, warningHeader({ ...state, usage: state.usage + n }));
    };
  }

  /** The kernel API-call hook (module.ts registers it): one `apiCalls` per call, 429 past the quota. */
  async admitApiCall(call: ApiCall): Promise<void> {
    // The caller's own plan, subscription and usage stay readable past the quota: that is where they learn why.
    if (call.route.startsWith('/v1/plans/') || call.route === '/v1/plans') return;
    const owner = ownerOfActor(call.actor);
    if (!owner) return;
    const { metric } = limitTarget(this.ctx.config.apiCalls.limit);
    const state = this.buffer ? await this.buffer.admit(owner, metric) : await this.meter.increment(owner, metric, 1, { enforce: true, quota: true });
    if (state.over) call.reply.header(WARNING_HEADER, warningHeader(state));
  }
}
