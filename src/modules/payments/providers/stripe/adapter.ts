import Stripe from 'stripe';
import type { StripeConfig } from '../../config.js';
import {
  ProviderError,
  WebhookSignatureError,
  type CheckoutInput,
  type CheckoutResult,
  type PaymentProvider,
  type ProviderFactory,
  type ProviderPayment,
  type ProviderSubscription,
  type RefundResult,
  type WebhookEvent,
  type WebhookRequest,
} from '../contract.js';
import { normalizeEvent, paymentFromIntent, paymentFromSession, subscriptionFrom } from './normalize.js';

/**
 * Stripe through its official SDK (`stripe`, API version pinned by the SDK release). The SDK
 * talks to `baseUrl` (https://api.stripe.com, or the local fake in tests: ./fake-server.ts), and
 * its own `webhooks.constructEvent` checks `Stripe-Signature` (HMAC-SHA256 of `t.body`, constant
 * time, timestamp tolerance) over the raw body.
 */

export interface StripeProviderOptions {
  config: StripeConfig;
  /** Milliseconds a call to Stripe may take. */
  timeoutMs?: number;
  /** Oldest accepted `t=` of a Stripe-Signature, in seconds (Stripe's default: 300). */
  toleranceSeconds?: number;
  /** Retries of a failed network call or 5xx, with the same Idempotency-Key (default 2). */
  maxNetworkRetries?: number;
}

/** Stripe SDK options that point it at `baseUrl` (host, port and protocol are separate settings there). */
export function sdkAddress(baseUrl: string): { host: string; port: number; protocol: 'http' | 'https' } {
  const url = new URL(baseUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol };
}

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;
  private readonly toleranceSeconds: number;

  constructor(opts: StripeProviderOptions) {
    this.stripe = new Stripe(opts.config.secretKey, {
      ...sdkAddress(opts.config.baseUrl),
      timeout: opts.timeoutMs ?? 15_000,
      // Network failures and 5xx are retried by the SDK with the same Idempotency-Key, so a
      // retried create never makes two sessions or two refunds.
      maxNetworkRetries: opts.maxNetworkRetries ?? 2,
      telemetry: false,
      appInfo: { name: 'neptuno-payments' },
    });
    this.webhookSecret = opts.config.webhookSecret;
    this.toleranceSeconds = opts.toleranceSeconds ?? 300;
  }

  /** Test mode (sk_test_…) or live (sk_live_…): Stripe's sandbox is chosen by the key alone. */
  static isTestKey(secretKey: string): boolean {
    return secretKey.startsWith('sk_test_') || secretKey.startsWith('rk_test_');
  }

  async createCheckout(input: CheckoutInput): Promise<CheckoutResult> {
    const metadata: Record<string, string> = {
      paymentId: input.paymentId,
      userId: input.payer.userId,
      purposeKind: input.purpose.kind,
      purposeKey: input.purpose.key,
      ...(input.payer.tenantId ? { tenantId: input.payer.tenantId } : {}),
    };
    const currency = input.currency.toLowerCase();
    const common = {
      client_reference_id: input.paymentId,
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      metadata,
      ...(input.payer.email ? { customer_email: input.payer.email } : {}),
    };
    let params: Stripe.Checkout.SessionCreateParams;
    if (input.recurring) {
      const r = input.recurring;
      const subMeta = { ...metadata, planKey: input.purpose.key };
      params = {
        ...common,
        mode: 'subscription',
        metadata: subMeta,
        line_items: [
          r.providerPriceId
            ? { price: r.providerPriceId, quantity: 1 }
            : {
                quantity: 1,
                price_data: { currency, unit_amount: input.amount, recurring: { interval: r.interval }, product_data: { name: input.title } },
              },
        ],
        // The subscription keeps our identifiers, so every later event about it names its owner.
        subscription_data: { metadata: subMeta, ...(r.trialDays ? { trial_period_days: r.trialDays } : {}) },
      };
    } else {
      params = {
        ...common,
        mode: 'payment',
        line_items: [{ quantity: 1, price_data: { currency, unit_amount: input.amount, product_data: { name: input.title } } }],
        // Copied to the PaymentIntent (and its charge), so payment_intent.* and charge.* events name our payment.
        payment_intent_data: { metadata },
      };
    }
    const session = await this.call('create a checkout session', () =>
      this.stripe.checkout.sessions.create(params, { idempotencyKey: `checkout:${input.paymentId}` }),
    );
    if (!session.url) throw new ProviderError('stripe', `checkout session ${session.id} has no url`, { retryable: false });
    return { providerCheckoutId: session.id, redirectUrl: session.url };
  }

  /** A PaymentIntent (`pi_…`, with its latest charge for refunds and disputes) or a Checkout Session (`cs_…`). */
  async fetchPayment(providerPaymentId: string): Promise<ProviderPayment> {
    if (providerPaymentId.startsWith('cs_')) {
      const session = await this.call('fetch a checkout session', () => this.stripe.checkout.sessions.retrieve(providerPaymentId));
      // A paid session's intent holds the refund/dispute state: report that one.
      const pi = typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id;
      return pi && session.payment_status === 'paid' ? this.fetchPayment(pi) : paymentFromSession(session);
    }
    const pi = await this.call('fetch a payment intent', () => this.stripe.paymentIntents.retrieve(providerPaymentId, { expand: ['latest_charge'] }));
    return paymentFromIntent(pi);
  }

  /**
   * Reconciliation: the intents carrying our paymentId in their metadata (Stripe's search API;
   * Stripe documents it as eventually consistent, about a minute behind).
   */
  async findPaymentsByReference(paymentId: string): Promise<ProviderPayment[]> {
    if (!/^[\w-]{1,200}$/.test(paymentId)) throw new ProviderError('stripe', 'a payment reference must be a plain id', { retryable: false });
    const found = await this.call('search payment intents', () =>
      this.stripe.paymentIntents.search({ query: `metadata['paymentId']:'${paymentId}'`, limit: 10, expand: ['data.latest_charge'] }),
    );
    return found.data.map(paymentFromIntent);
  }

  async refund(providerPaymentId: string, amount?: number): Promise<RefundResult> {
    const refund = await this.call('refund', () =>
      this.stripe.refunds.create({ payment_intent: providerPaymentId, ...(amount !== undefined ? { amount } : {}) }),
    );
    const status = refund.status === 'succeeded' ? 'succeeded' : refund.status === 'failed' || refund.status === 'canceled' ? 'failed' : 'pending';
    return { providerRefundId: refund.id, status };
  }

  async verifyWebhook(req: WebhookRequest): Promise<WebhookEvent> {
    const signature = header(req.headers['stripe-signature']);
    if (!signature) throw new WebhookSignatureError('missing_signature', 'No Stripe-Signature header');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(req.rawBody, signature, this.webhookSecret, this.toleranceSeconds);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const reason = /tolerance/i.test(message) ? 'stale_timestamp' : /extract timestamp|no webhook payload/i.test(message) ? 'malformed' : 'bad_signature';
      throw new WebhookSignatureError(reason, message.split('\n')[0]);
    }
    if (typeof event !== 'object' || event === null || typeof event.id !== 'string' || typeof event.type !== 'string' || !event.data?.object) {
      throw new WebhookSignatureError('malformed', 'A signed body that is not a Stripe event');
    }
    return normalizeEvent(event);
  }

  async fetchSubscription(id: string): Promise<ProviderSubscription> {
    return subscriptionFrom(await this.call('fetch a subscription', () => this.stripe.subscriptions.retrieve(id)));
  }

  async portalUrl(customerId: string, returnUrl: string): Promise<string> {
    const session = await this.call('open a billing portal session', () =>
      this.stripe.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl }),
    );
    return session.url;
  }

  /** Stripe SDK errors → ProviderError (retryable: connection failures, 429 and 5xx). */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Stripe.errors.StripeError) {
        const status = err.statusCode;
        const retryable = err instanceof Stripe.errors.StripeConnectionError || status === undefined || status === 429 || status >= 500;
        throw new ProviderError('stripe', `could not ${what}: ${err.message}`, { status, retryable, code: err.code, cause: err });
      }
      throw new ProviderError('stripe', `could not ${what}: ${(err as Error)?.message ?? String(err)}`, { retryable: true, cause: err });
    }
  }
}

/** The registry's factory for `modules.payments.providers.stripe`. */
export const createStripeProvider: ProviderFactory<StripeConfig> = (ctx) =>
  new StripeProvider({ config: ctx.config, timeoutMs: ctx.timeoutMs, toleranceSeconds: ctx.webhookToleranceSeconds });
