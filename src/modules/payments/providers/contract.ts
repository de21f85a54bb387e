/**
 * The contract every payment provider adapter implements (Mercado Pago, Stripe, Wompi). The
 * payments core knows providers only through this file: it creates checkouts, asks for a
 * payment's state, refunds, and turns a webhook request into a `WebhookEvent`. Adapters hold no
 * state of their own and touch no table: exactly-once, history and wallet credits live in the core.
 *
 * Every adapter takes its `baseUrl` from configuration, so tests and `neptuno payments simulate`
 * point it at the local fake servers shipped in `../testing/`.
 */

export type ProviderName = 'mercadopago' | 'stripe' | 'wompi';
export const PROVIDER_NAMES: readonly ProviderName[] = ['mercadopago', 'stripe', 'wompi'];

/** The provider's view of a payment, normalized. */
export type ProviderPaymentStatus = 'pending' | 'approved' | 'rejected' | 'refunded' | 'charged_back';

export interface ProviderPayment {
  /** The provider's id of the payment (Mercado Pago payment id, Stripe PaymentIntent id, Wompi transaction id). */
  providerPaymentId: string;
  /** Our paymentId, as sent in createCheckout (external_reference, client_reference_id, reference). Null when the provider lost it. */
  reference: string | null;
  status: ProviderPaymentStatus;
  /** Minor units (see src/core/money.ts for exponents). */
  amount: number;
  /** ISO 4217, upper case. */
  currency: string;
  /** Amount refunded so far, minor units, when the provider says (partial refunds). */
  refundedAmount?: number;
  /** The provider's own status string, for logs and the history table (e.g. `in_process`, `DECLINED`). */
  providerStatus?: string;
  /** The provider's document as received (kept in the payment's history). */
  raw: unknown;
}

export type ProviderSubscriptionStatus = 'trialing' | 'active' | 'past_due' | 'canceled';

export interface ProviderSubscription {
  providerSubscriptionId: string;
  /** Our paymentId of the checkout that started it, when the provider carries it. */
  reference?: string;
  customerId?: string;
  planKey?: string;
  owner?: { userId?: string; tenantId?: string | null };
  status: ProviderSubscriptionStatus;
  /** ISO 8601 UTC. */
  currentPeriodEnd?: string;
  /** ISO 8601 UTC. */
  trialEnd?: string;
  cancelAtPeriodEnd?: boolean;
  /** What the event says was charged (minor units) and in which currency: a checkout's total, an invoice's amount paid; 0 for a trial. */
  amountPaid?: number;
  currency?: string;
  raw: unknown;
}

export type SubscriptionEventKind = 'trial_will_end' | 'invoice.paid' | 'invoice.payment_failed' | 'updated' | 'deleted' | 'created';

/** A verified, parsed webhook. */
export interface WebhookEvent {
  /**
   * The provider's event id (Stripe `evt_…`, Mercado Pago notification `id`, Wompi a hash of the
   * signed event). The inbox is keyed by (provider, eventId): a replay of the same delivery is
   * stored once. Effects are keyed separately by the object they touch.
   */
  eventId: string;
  kind: 'payment' | 'subscription' | 'ignored';
  /** The payment as the webhook describes it (Stripe, Wompi carry the object). */
  payment?: ProviderPayment;
  /** When the body only names the payment (Mercado Pago): the core fetches it with fetchPayment. */
  providerPaymentId?: string;
  subscription?: ProviderSubscription;
  subscriptionEvent?: SubscriptionEventKind;
  /** Optional: our paymentId when the event carries it but not a full payment (checkout completed). */
  reference?: string;
}

export interface CheckoutInput {
  /** Ours: the provider must hand it back as the payment's reference. */
  paymentId: string;
  purpose: { kind: 'package' | 'plan'; key: string };
  /** Shown to the payer on the provider's page (already in the payer's language). */
  title: string;
  /** Minor units. */
  amount: number;
  /** ISO 4217. */
  currency: string;
  payer: { email?: string; userId: string; tenantId?: string | null };
  /** Where the provider sends the payer back. */
  successUrl: string;
  cancelUrl: string;
  /** Our webhook URL for this provider (`<publicUrl>/v1/webhooks/<provider>`), for providers that take one per checkout. */
  notificationUrl?: string;
  /** A subscription (plans) instead of a one-off payment. */
  recurring?: { interval: 'month' | 'year'; trialDays?: number; providerPriceId?: string };
}

export interface CheckoutResult {
  /** The provider's id of the checkout (preference, session, payment link). */
  providerCheckoutId: string;
  /** Where to send the payer. */
  redirectUrl: string;
}

export interface WebhookRequest {
  /** The body exactly as received: signatures are computed over these bytes. */
  rawBody: Buffer;
  /** Lower-case header names (Node's IncomingMessage). */
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
}

export interface RefundResult {
  providerRefundId: string;
  status: 'pending' | 'succeeded' | 'failed';
}

export interface PaymentProvider {
  readonly name: ProviderName;
  createCheckout(input: CheckoutInput): Promise<CheckoutResult>;
  fetchPayment(providerPaymentId: string): Promise<ProviderPayment>;
  /** Reconciliation when no webhook came: the provider's payments carrying our paymentId. */
  findPaymentsByReference?(paymentId: string): Promise<ProviderPayment[]>;
  /** Full refund without `amount` (minor units). */
  refund(providerPaymentId: string, amount?: number): Promise<RefundResult>;
  /** Verifies the signature and parses the event; throws WebhookSignatureError (→ 401, nothing stored). */
  verifyWebhook(req: WebhookRequest): Promise<WebhookEvent>;
  fetchSubscription?(id: string): Promise<ProviderSubscription>;
  /** A billing-portal link for the customer (Stripe). */
  portalUrl?(customerId: string, returnUrl: string): Promise<string>;
}

/** A webhook whose signature, timestamp or shape does not check out. The route answers 401 and stores nothing. */
export class WebhookSignatureError extends Error {
  constructor(
    /** Stable reason for logs: missing_signature, bad_signature, stale_timestamp, malformed. */
    readonly reason: string,
    message?: string,
  ) {
    super(message ?? reason);
    this.name = 'WebhookSignatureError';
  }
}

/**
 * The provider answered with an error or could not be reached. `retryable` tells the core
 * whether a later attempt (job retry, reconciliation) may succeed; `status` is the HTTP status
 * the provider answered, when there was one.
 */
export class ProviderError extends Error {
  constructor(
    readonly provider: ProviderName,
    message: string,
    readonly opts: { status?: number; retryable?: boolean; code?: string; cause?: unknown } = {},
  ) {
    super(`${provider}: ${message}`, { cause: opts.cause });
    this.name = 'ProviderError';
  }
  get retryable(): boolean {
    return this.opts.retryable ?? (this.opts.status === undefined || this.opts.status >= 500 || this.opts.status === 429);
  }
}

/** What a provider factory receives: its config section and a few kernel facts. */
export interface ProviderFactoryContext<C> {
  config: C;
  /** The server's public URL (webhook and back URLs are built from it). */
  publicUrl: string;
  /** development | production | test. */
  env: string;
  /** Milliseconds a request to the provider may take. */
  timeoutMs: number;
  /** Webhook timestamps further than this from the clock are refused (modules.payments.webhookToleranceSeconds). */
  webhookToleranceSeconds?: number;
  log: { info(o: object, msg?: string): void; warn(o: object, msg?: string): void };
}

/** How the core builds an adapter from its configuration section (see ./registry.ts). */
export type ProviderFactory<C = unknown> = (ctx: ProviderFactoryContext<C>) => PaymentProvider;
