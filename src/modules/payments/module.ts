import { defineModule } from '../../core/module.js';
import { paymentAdminRoutes } from './admin-routes.js';
import { PaymentsConfigSchema } from './config.js';
import type { PaymentEvent, SubscriptionChangedEvent } from './events.js';
import { messages } from './messages.js';
import type { ProviderName } from './providers/contract.js';
import { paymentRoutes } from './routes.js';
import { migrations } from './schema.js';
import { PaymentsService } from './service.js';
import { webhookRoutes } from './webhook-routes.js';

export type { PaymentEvent, SubscriptionChangedEvent } from './events.js';

declare module '../../core/module.js' {
  interface Services {
    payments: PaymentsService;
  }
  interface Jobs {
    'payments.process-webhook': { provider: ProviderName; eventId: string };
  }
}

declare module '../../core/events.js' {
  interface DomainEvents {
    /**
     * A payment was approved by its provider (once per provider payment, in the transaction that
     * recorded it; a credit package's credits were granted in that same transaction).
     */
    'payment.succeeded': PaymentEvent;
    /** The provider rejected the payment (once per provider payment). */
    'payment.failed': PaymentEvent;
    /** Refunded or charged back (once per provider payment); credits were clawed back in the same transaction. */
    'payment.refunded': PaymentEvent;
    /** A subscription changed at the provider (one per webhook event). The plans module keeps its state. */
    'payment.subscription.changed': SubscriptionChangedEvent;
    /** The provider announced the end of a trial (Stripe sends it three days before). */
    'payment.subscription.trial_will_end': SubscriptionChangedEvent;
  }
}

/**
 * Payments: checkouts with Mercado Pago, Stripe and Wompi, signed webhooks processed exactly
 * once per effect, reconciliation against the provider (docs/payments.md). Off by default: it
 * needs provider accounts (or the local fakes, `neptuno payments simulate`).
 */
export default defineModule({
  name: 'payments',
  enabledByDefault: false,
  config: PaymentsConfigSchema,
  migrations,
  messages,
  services: (ctx) => ({ payments: new PaymentsService(ctx) }),
  routes: paymentRoutes,
  adminRoutes: paymentAdminRoutes,
  rootRoutes: webhookRoutes,
  jobs: {
    'process-webhook': async (job, ctx) => {
      await ctx.services.payments.processWebhook(job);
    },
  },
  crons: [
    {
      name: 'reconcile',
      schedule: '*/15 * * * *',
      run: async (ctx) => {
        await ctx.services.payments.reconcile();
      },
    },
    {
      name: 'prune-inbox',
      schedule: '41 4 * * *',
      run: async (ctx) => {
        await ctx.services.payments.pruneInbox();
      },
    },
  ],
});
