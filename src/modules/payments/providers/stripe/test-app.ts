import { defineModule, type AnyModule } from '../../../../core/module.js';
import { createTestApp, type TestApp } from '../../../../testing/app.js';
import type { TestTarget } from '../../../../testing/targets.js';
import { waitFor } from '../../../../testing/wait.js';
import paymentsModule from '../../module.js';
import authModule from '../../../auth/module.js';
import walletModule from '../../../wallet/module.js';
import type { FakeWompi } from '../wompi/fake-server.js';
import type { FakeStripe } from './fake-server.js';

/**
 * An app with payments and the wallet, its Stripe and Wompi sections pointing at the local
 * fakes, and a test sign-in: `Authorization: Test <userId>[@<tenantId>]`. Shared by the Stripe
 * and Wompi purchase suites (test code, not shipped behaviour).
 */

export const ADMIN_TOKEN = 'admin-token-for-payments-provider-tests-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
export const user = (id: string, tenant?: string): Record<string, string> => ({ authorization: `Test ${id}${tenant ? `@${tenant}` : ''}` });

const testUsers = defineModule({
  name: 'test-users',
  start: (ctx) => {
    ctx.access.addResolver((req) => {
      const h = req.headers.authorization;
      if (!h?.startsWith('Test ')) return null;
      const [id, tenant] = h.slice(5).split('@');
      return { type: 'user', id, role: 'user', tenantId: tenant || null, via: 'test' };
    }, 5);
  },
});

/** The credit packages the suites sell, as the wallet's catalog declares them in neptuno.yaml. */
export const PACKAGES = {
  'pack-100': { credits: 100, price: { amount: 4990, currency: 'USD' }, names: { es: '100 créditos', en: '100 credits' } },
  'pack-cop': { credits: 250, price: { amount: 2_990_000, currency: 'COP' }, names: { es: '250 créditos', en: '250 credits' } },
};

/**
 * Until the wallet's shop catalog runs (packages in `modules.wallet.packages`), the same packages
 * are answered by a getPackage added to the wallet service: the price still comes from the server.
 */
const catalogInConfig = Boolean((walletModule.config as { properties?: Record<string, unknown> } | undefined)?.properties?.packages);
const interimCatalog = defineModule({
  name: 'test-catalog',
  start: (ctx) => {
    const wallet = ctx.services.wallet as unknown as { getPackage?: (key: string) => Promise<unknown> };
    wallet.getPackage ??= async (key: string) => {
      const p = PACKAGES[key as keyof typeof PACKAGES];
      return p ? { key, active: true, ...p } : undefined;
    };
  },
});

export async function paymentsTestApp(
  target: TestTarget,
  fakes: { stripe?: FakeStripe; wompi?: FakeWompi },
  /** `replicaOf`: another replica of that app (same database and Redis); the fakes keep delivering to the first. */
  extra: { modules?: AnyModule[]; config?: Record<string, unknown>; replicaOf?: TestApp } = {},
): Promise<TestApp> {
  const providers: Record<string, unknown> = {};
  if (fakes.stripe) providers.stripe = fakes.stripe.config;
  if (fakes.wompi) providers.wompi = fakes.wompi.config;
  const t = await createTestApp({
    target,
    workers: true,
    ...(extra.replicaOf ? { replicaOf: extra.replicaOf } : {}),
    modules: [authModule, testUsers, walletModule, paymentsModule, ...(catalogInConfig ? [] : [interimCatalog]), ...(extra.modules ?? [])],
    config: {
      admin: { token: ADMIN_TOKEN },
      ...extra.config,
      modules: {
        // Reconciliation may look at a payment at once (tests make webhooks go missing on purpose).
        payments: { enabled: true, providers, reconciliation: { minAgeMinutes: 0 } },
        ...(catalogInConfig ? { wallet: { packages: PACKAGES } } : {}),
        ...((extra.config?.modules as Record<string, unknown>) ?? {}),
      },
    },
  });
  const deliverTo = (name: string) => (d: { rawBody: Buffer; headers: Record<string, string> }) =>
    t.app.inject({ method: 'POST', url: `/v1/webhooks/${name}`, headers: d.headers, payload: d.rawBody });
  if (!extra.replicaOf) {
    fakes.stripe?.onWebhook(deliverTo('stripe'));
    fakes.wompi?.onWebhook(deliverTo('wompi'));
  }
  return t;
}

export async function balanceOf(t: TestApp, userId: string): Promise<{ balance: number; debt: number }> {
  const b = await t.ctx.services.wallet!.balance({ userId });
  return { balance: b.balance, debt: (b as { debt?: number }).debt ?? 0 };
}

/** The payment as its owner sees it (GET /v1/payments/:id). */
export async function paymentOf(t: TestApp, userId: string, paymentId: string): Promise<Record<string, unknown>> {
  const res = await t.app.inject({ method: 'GET', url: `/v1/payments/${paymentId}`, headers: user(userId) });
  return res.json();
}

/** Waits until every stored webhook has been processed by its job. */
export async function webhooksProcessed(t: TestApp): Promise<void> {
  await waitFor(async () => {
    const row = await t.ctx.db
      .selectFrom('payment_webhook_inbox' as never)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('processed_at' as never, 'is', null)
      .executeTakeFirst();
    return Number((row as { n?: unknown } | undefined)?.n ?? 0) === 0;
  }, 'every stored webhook processed');
}
