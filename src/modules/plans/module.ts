import { defineModule } from '../../core/module.js';
import { planAdminRoutes } from './admin-routes.js';
import { configErrors } from './catalog.js';
import { PlansConfigSchema } from './config.js';
import { messages } from './messages.js';
import { ownerFromEvent } from './owner.js';
import { planRoutes } from './routes.js';
import { migrations, type OwnerType, type SubscriptionStatus } from './schema.js';
import { PlansService } from './service.js';

declare module '../../core/module.js' {
  interface Services {
    plans: PlansService;
  }
}

/** Whose usage an alert is about: the tenant (tenantId set) or the user (userId set). */
export interface UsageAlertEvent {
  ownerType: OwnerType;
  ownerId: string;
  tenantId: string | null;
  userId: string | null;
  metric: string;
  limitName: string;
  /** '2026-11', or 'total' for running totals. */
  period: string;
  limit: number;
  usage: number;
  resetAt: string | null;
}

declare module '../../core/events.js' {
  interface DomainEvents {
    /**
     * Usage reached `threshold` % of a plan limit (modules.plans.alertThresholds, 80 and 100 by
     * default): once per (owner, metric, period, threshold), in the transaction of the increment
     * that crossed it. Notifications tell the owner.
     */
    'plans.usage.threshold': UsageAlertEvent & { threshold: number };
    /** Soft mode let usage past a limit: once per (owner, metric, period). */
    'plans.usage.exceeded': UsageAlertEvent & { mode: 'hard' | 'soft' };
    /** A subscription changed status or plan (from payments' events, or a prepaid period bought). */
    'plans.subscription.changed': {
      subscriptionId: string;
      ownerType: OwnerType;
      ownerId: string;
      tenantId: string | null;
      userId: string | null;
      planKey: string;
      previousPlanKey: string | null;
      status: SubscriptionStatus;
      previousStatus: SubscriptionStatus | null;
      provider: string;
      currentPeriodEnd: string | null;
      cause: string;
    };
  }
}

/**
 * Plans: catalog, subscriptions per tenant (or user), usage metering and limits (docs/plans.md).
 * Off by default: turn on with `modules.plans.enabled: true`.
 */
export default defineModule({
  name: 'plans',
  enabledByDefault: false,
  config: PlansConfigSchema,
  migrations,
  messages,
  services: (ctx) => {
    const errors = configErrors(ctx.config);
    if (errors.length) throw new Error(errors.join('; '));
    return { plans: new PlansService(ctx) };
  },
  routes: planRoutes,
  adminRoutes: planAdminRoutes,
  async start(ctx) {
    const plans = ctx.services.plans;
    await plans.catalog.start();
    if (ctx.config.apiCalls.enabled) plans.unhook = ctx.apiCalls.use({ name: 'plans', admit: (call) => plans.admitApiCall(call) });
    plans.buffer?.start();
  },
  async stop(ctx) {
    ctx.services.plans.unhook?.();
    // Buffered API-call counts are written before the database closes.
    await ctx.services.plans.buffer?.stop();
  },
  on: {
    'payment.subscription.changed': async (e, ctx, meta) => {
      const owner = ownerFromEvent(e.owner);
      if (!owner) return void ctx.log.warn({ providerSubscriptionId: e.providerSubscriptionId }, 'subscription event without an owner: ignored');
      await ctx.services.plans.applySubscriptionChange({ ...e, owner, eventKey: meta.eventId });
    },
    'payment.subscription.trial_will_end': async (e, ctx, meta) => {
      const owner = ownerFromEvent(e.owner);
      if (!owner) return;
      await ctx.services.plans.applySubscriptionChange({ ...e, owner, cause: 'trial_will_end', eventKey: meta.eventId });
    },
    'payment.succeeded': async (e, ctx) => {
      if (e.purpose.kind !== 'plan' || !ctx.config.prepaidProviders.includes(e.provider)) return;
      const plan = await ctx.services.plans.getPlan(e.purpose.key);
      if (!plan) return void ctx.log.warn({ paymentId: e.paymentId, planKey: e.purpose.key }, 'payment for an unknown plan: no period granted');
      const owner = e.tenantId ? { tenantId: e.tenantId } : { userId: e.userId };
      await ctx.services.plans.subscriptions.prepaid({ owner, planKey: plan.key, provider: e.provider, paymentId: e.paymentId, interval: plan.interval });
    },
  },
});
