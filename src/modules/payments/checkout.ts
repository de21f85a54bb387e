import { randomUUID } from 'node:crypto';
import type { Actor } from '../../core/http/access.js';
import type { IdempotencyClaim } from '../../core/http/idempotency.js';
import { problem, tooManyRequests } from '../../core/http/problem.js';
import type { Locale } from '../../core/i18n/index.js';
import type { ModuleContext } from '../../core/module.js';
import { typedTrx } from '../../core/db/dialect.js';
import type { PaymentsConfig } from './config.js';
import { ProviderError, type CheckoutInput, type PaymentProvider, type ProviderName } from './providers/contract.js';
import { ports } from './ports.js';
import type { PaymentTables } from './schema.js';

export interface CheckoutRequest {
  actor: Actor;
  provider: ProviderName;
  package?: string;
  plan?: string;
  locale: Locale;
  email?: string;
  idempotency?: IdempotencyClaim;
}

export interface CheckoutAnswer {
  paymentId: string;
  redirectUrl: string;
}

interface Priced {
  kind: 'package' | 'plan';
  key: string;
  title: string;
  amount: number;
  currency: string;
  credits: number | null;
  recurring?: CheckoutInput['recurring'];
}

/** `{paymentId}` in a configured URL, resolved against the public URL when relative. */
export function backUrl(template: string, publicUrl: string, paymentId: string): string {
  return new URL(template.replaceAll('{paymentId}', encodeURIComponent(paymentId)), publicUrl).toString();
}

/**
 * Starts a checkout: the payment row first (pending, so a webhook arriving before the provider
 * even answers finds it), then the provider's checkout, then the redirect URL saved with the
 * Idempotency-Key answer. The provider call happens outside any transaction: a slow provider
 * never holds the database.
 */
export async function startCheckout(
  ctx: ModuleContext<PaymentsConfig>,
  provider: PaymentProvider | undefined,
  req: CheckoutRequest,
): Promise<CheckoutAnswer> {
  if (!provider) throw problem(422, 'payment_provider_not_configured', { params: { provider: req.provider } });
  if ((req.package === undefined) === (req.plan === undefined)) throw problem(400, 'payment_purpose_required');
  const limit = await ctx.rateLimiter.hit(`payments:checkout:${req.actor.id}`, { limit: ctx.config.checkoutsPerHour, windowMs: 3_600_000 });
  if (!limit.allowed) throw tooManyRequests(limit.retryAfterMs, 'checkout_rate_limited');

  const priced = await price(ctx, req);
  const paymentId = randomUUID();
  const now = new Date().toISOString();
  await ctx.tx(async (t) => {
    const trx = typedTrx<PaymentTables>(t);
    await trx
      .insertInto('payments')
      .values({
        id: paymentId,
        user_id: req.actor.id,
        tenant_id: req.actor.tenantId,
        provider: req.provider,
        purpose_kind: priced.kind,
        purpose_key: priced.key,
        title: priced.title,
        amount: priced.amount,
        currency: priced.currency,
        credits: priced.credits,
        status: 'pending',
        provider_checkout_id: null,
        provider_payment_id: null,
        provider_status: null,
        redirect_url: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await trx.insertInto('payment_history').values({ payment_id: paymentId, from_status: null, to_status: 'pending', cause: 'checkout', provider_payment_id: null, provider_status: null, event_id: null, created_at: now }).execute();
  });

  const publicUrl = ctx.appConfig.server.publicUrl;
  let checkout;
  try {
    checkout = await provider.createCheckout({
      paymentId,
      purpose: { kind: priced.kind, key: priced.key },
      title: priced.title,
      amount: priced.amount,
      currency: priced.currency,
      payer: { email: req.email, userId: req.actor.id, tenantId: req.actor.tenantId },
      successUrl: backUrl(ctx.config.successUrl, publicUrl, paymentId),
      cancelUrl: backUrl(ctx.config.cancelUrl, publicUrl, paymentId),
      notificationUrl: new URL(`/v1/webhooks/${req.provider}`, publicUrl).toString(),
      recurring: priced.recurring,
    });
  } catch (err) {
    ctx.log.warn({ err, paymentId, provider: req.provider }, 'checkout could not be created at the provider');
    const at = new Date().toISOString();
    await ctx.tx(async (t) => {
      const trx = typedTrx<PaymentTables>(t);
      await trx.updateTable('payments').set({ status: 'rejected', provider_status: 'checkout_failed', updated_at: at }).where('id', '=', paymentId).execute();
      await trx.insertInto('payment_history').values({ payment_id: paymentId, from_status: 'pending', to_status: 'rejected', cause: 'checkout_failed', provider_payment_id: null, provider_status: null, event_id: null, created_at: at }).execute();
    });
    const refused = err instanceof ProviderError && !err.retryable;
    throw problem(502, refused ? 'payment_provider_refused' : 'payment_provider_unavailable', { params: { provider: req.provider } });
  }

  const answer: CheckoutAnswer = { paymentId, redirectUrl: checkout.redirectUrl };
  await ctx.tx(async (t) => {
    const trx = typedTrx<PaymentTables>(t);
    await trx
      .updateTable('payments')
      .set({ provider_checkout_id: checkout.providerCheckoutId, redirect_url: checkout.redirectUrl, updated_at: new Date().toISOString() })
      .where('id', '=', paymentId)
      .execute();
    await req.idempotency?.saveIn(t, 201, answer);
  });
  return answer;
}

/** The price comes from the wallet's package catalog or the plans module, never from the client. */
async function price(ctx: ModuleContext<PaymentsConfig>, req: CheckoutRequest): Promise<Priced> {
  const { wallet, plans } = ports(ctx.services);
  if (req.package !== undefined) {
    const pkg = wallet?.getPackage ? await wallet.getPackage(req.package) : undefined;
    if (!pkg || !pkg.active) throw problem(404, 'payment_package_not_found', { params: { key: req.package } });
    return { kind: 'package', key: pkg.key, title: pkg.names[req.locale] ?? pkg.names.en, amount: pkg.price.amount, currency: pkg.price.currency, credits: pkg.credits };
  }
  const plan = plans ? await plans.getPlan(req.plan!) : undefined;
  if (!plan || plan.active === false) throw problem(404, 'payment_plan_not_found', { params: { key: req.plan! } });
  return {
    kind: 'plan',
    key: plan.key,
    title: plan.names[req.locale] ?? plan.names.en,
    amount: plan.price.amount,
    currency: plan.price.currency,
    credits: null,
    recurring: { interval: plan.interval, trialDays: plan.trialDays, providerPriceId: req.provider === 'stripe' ? plan.providers?.stripe?.priceId : undefined },
  };
}
