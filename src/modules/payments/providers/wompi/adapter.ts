import type { WompiConfig } from '../../config.js';
import {
  ProviderError,
  WebhookSignatureError,
  type CheckoutInput,
  type CheckoutResult,
  type PaymentProvider,
  type ProviderFactory,
  type ProviderPayment,
  type ProviderPaymentStatus,
  type RefundResult,
  type WebhookEvent,
  type WebhookRequest,
} from '../contract.js';
import { checksumMatches, eventChecksum, integritySignature } from './signatures.js';

/**
 * Wompi (Colombia) over plain `fetch`: Wompi ships no Node SDK. Payers go to the Web Checkout
 * with a signed URL (reference = our paymentId); Wompi tells the outcome with a
 * `transaction.updated` event whose checksum covers `signature.properties` + timestamp + the
 * events secret. Sandbox or production is chosen by the keys' prefixes, as Wompi does.
 */

export type WompiEnvironment = 'sandbox' | 'production';

export interface WompiProviderOptions {
  config: WompiConfig;
  timeoutMs?: number;
  /**
   * Oldest accepted event timestamp, seconds. Wompi retries a failed delivery at 30 min, 3 h and
   * 24 h with the event as first signed, so the window must cover a day; replays inside it are
   * harmless (the inbox and the effects are keyed).
   */
  toleranceSeconds?: number;
  /** How long a checkout link can be paid (Web Checkout `expiration-time`). */
  checkoutTtlMs?: number;
}

const PREFIXES: Record<WompiEnvironment, { publicKey: string; privateKey: string; eventsSecret: string; integritySecret: string }> = {
  sandbox: { publicKey: 'pub_test_', privateKey: 'prv_test_', eventsSecret: 'test_events_', integritySecret: 'test_integrity_' },
  production: { publicKey: 'pub_prod_', privateKey: 'prv_prod_', eventsSecret: 'prod_events_', integritySecret: 'prod_integrity_' },
};

/** Sandbox for `pub_test_…`, production for `pub_prod_…`; every other key must be of the same environment. */
export function wompiEnvironment(config: Pick<WompiConfig, 'publicKey' | 'privateKey' | 'eventsSecret' | 'integritySecret'>): WompiEnvironment {
  const env: WompiEnvironment | undefined = config.publicKey.startsWith('pub_test_') ? 'sandbox' : config.publicKey.startsWith('pub_prod_') ? 'production' : undefined;
  if (!env) throw new Error('modules.payments.providers.wompi.publicKey must start with pub_test_ (sandbox) or pub_prod_ (production)');
  for (const key of ['privateKey', 'eventsSecret', 'integritySecret'] as const) {
    if (!config[key].startsWith(PREFIXES[env][key])) {
      throw new Error(`modules.payments.providers.wompi.${key} must start with ${PREFIXES[env][key]} to match the ${env} public key`);
    }
  }
  return env;
}

/** Wompi's last retry comes 24 h after the first delivery, with the first signature: a window below that would refuse it. */
export const WOMPI_MIN_TOLERANCE_S = 48 * 3600;

const API = { sandbox: 'https://sandbox.wompi.co/v1', production: 'https://production.wompi.co/v1' };
/** A checkout id names our reference: Web Checkout creates no object until the payer pays. */
const CHECKOUT_PREFIX = 'checkout:';

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Wompi's statuses: PENDING, then APPROVED, DECLINED, ERROR or VOIDED (a card payment annulled). */
export function paymentStatus(status: string | undefined): ProviderPaymentStatus {
  switch (status) {
    case 'APPROVED':
      return 'approved';
    case 'DECLINED':
    case 'ERROR':
      return 'rejected';
    case 'VOIDED':
      return 'refunded';
    default:
      return 'pending';
  }
}

export function paymentFromTransaction(tx: Json): ProviderPayment {
  const amount = typeof tx.amount_in_cents === 'number' ? tx.amount_in_cents : Number(tx.amount_in_cents);
  return {
    providerPaymentId: String(tx.id),
    reference: str(tx.reference) ?? null,
    status: paymentStatus(str(tx.status)),
    amount: Number.isFinite(amount) ? amount : 0,
    // COP's ISO 4217 exponent is 2, so Wompi's centavos are our minor units as they are.
    currency: (str(tx.currency) ?? 'COP').toUpperCase(),
    providerStatus: str(tx.status),
    raw: tx,
  };
}

export class WompiProvider implements PaymentProvider {
  readonly name = 'wompi' as const;
  readonly environment: WompiEnvironment;
  private readonly baseUrl: string;
  private readonly checkoutUrl: string;

  constructor(private readonly opts: WompiProviderOptions) {
    this.environment = wompiEnvironment(opts.config);
    this.baseUrl = (opts.config.baseUrl ?? API[this.environment]).replace(/\/+$/, '');
    // Web Checkout lives on its own host; with a base URL of our own (the fake) it is served beside the API.
    this.checkoutUrl = opts.config.baseUrl ? new URL('/p/', this.baseUrl).toString() : 'https://checkout.wompi.co/p/';
  }

  async createCheckout(input: CheckoutInput): Promise<CheckoutResult> {
    // Wompi has no subscriptions: a plan is sold as one prepaid period, a one-off payment like a
    // credit package (the plans module grants the period on payment.succeeded). `recurring` only
    // names the period; a trial cannot be prepaid, so trialDays does not apply here.
    if (input.currency.toUpperCase() !== 'COP') {
      throw new ProviderError('wompi', `Wompi charges in COP only, not ${input.currency}`, { retryable: false, code: 'unsupported_currency' });
    }
    const expirationTime = new Date(Date.now() + (this.opts.checkoutTtlMs ?? 86_400_000)).toISOString();
    const { config } = this.opts;
    const params = new URLSearchParams({
      'public-key': config.publicKey,
      currency: 'COP',
      'amount-in-cents': String(input.amount),
      reference: input.paymentId,
      'signature:integrity': integritySignature({ reference: input.paymentId, amountInCents: input.amount, currency: 'COP', expirationTime, secret: config.integritySecret }),
      'redirect-url': input.successUrl,
      'expiration-time': expirationTime,
    });
    if (input.payer.email) params.set('customer-data:email', input.payer.email);
    return { providerCheckoutId: CHECKOUT_PREFIX + input.paymentId, redirectUrl: `${this.checkoutUrl}?${params}` };
  }

  /** A transaction id, or a checkout id (`checkout:<paymentId>`): then the best transaction of that reference. */
  async fetchPayment(providerPaymentId: string): Promise<ProviderPayment> {
    if (providerPaymentId.startsWith(CHECKOUT_PREFIX)) {
      const reference = providerPaymentId.slice(CHECKOUT_PREFIX.length);
      const found = await this.findPaymentsByReference(reference);
      const rank: Record<ProviderPaymentStatus, number> = { charged_back: 4, refunded: 3, approved: 2, pending: 1, rejected: 0 };
      const best = found.sort((a, b) => rank[b.status] - rank[a.status])[0];
      return best ?? { providerPaymentId, reference, status: 'pending', amount: 0, currency: 'COP', providerStatus: 'NO_TRANSACTION', raw: null };
    }
    const json = await this.request('GET', `/transactions/${encodeURIComponent(providerPaymentId)}`, 'fetch a transaction');
    return paymentFromTransaction((json.data ?? {}) as Json);
  }

  /** Reconciliation: Wompi lists a reference's transactions (one per attempt) with the private key. */
  async findPaymentsByReference(paymentId: string): Promise<ProviderPayment[]> {
    const json = await this.request('GET', `/transactions?reference=${encodeURIComponent(paymentId)}`, 'list transactions', { auth: true });
    const list = Array.isArray(json.data) ? (json.data as Json[]) : [];
    return list.filter((tx) => tx.reference === paymentId).map(paymentFromTransaction);
  }

  /**
   * Wompi's only refund in its API is a void (`POST /transactions/:id/void`), for approved card
   * payments and for their whole amount. PSE, Nequi and other methods are refunded from Wompi's
   * dashboard: this answers a non-retryable `refund_unsupported` for them.
   */
  async refund(providerPaymentId: string, amount?: number): Promise<RefundResult> {
    const tx = (await this.request('GET', `/transactions/${encodeURIComponent(providerPaymentId)}`, 'fetch a transaction')).data as Json;
    if (tx?.payment_method_type !== 'CARD') {
      throw new ProviderError('wompi', `Wompi voids card payments only (this one is ${String(tx?.payment_method_type)}); refund it from the Wompi dashboard`, {
        retryable: false,
        code: 'refund_unsupported',
      });
    }
    if (amount !== undefined && amount !== tx.amount_in_cents) {
      throw new ProviderError('wompi', 'Wompi voids the whole amount only; partial refunds are made from the Wompi dashboard', { retryable: false, code: 'partial_refund_unsupported' });
    }
    const json = await this.request('POST', `/transactions/${encodeURIComponent(providerPaymentId)}/void`, 'void a transaction', { auth: true, body: {} });
    const data = (json.data ?? {}) as Json;
    const status = str((data.transaction as Json | undefined)?.status) ?? str(data.status);
    return { providerRefundId: `void:${providerPaymentId}`, status: status === 'VOIDED' ? 'succeeded' : status === 'PENDING' ? 'pending' : 'failed' };
  }

  async verifyWebhook(req: WebhookRequest): Promise<WebhookEvent> {
    let event: Json;
    try {
      event = JSON.parse(req.rawBody.toString('utf8')) as Json;
    } catch {
      throw new WebhookSignatureError('malformed', 'The body is not JSON');
    }
    const sig = (event?.signature ?? null) as Json | null;
    const properties = sig?.properties;
    const checksum = str(sig?.checksum);
    const timestamp = event?.timestamp;
    if (!checksum || !Array.isArray(properties) || properties.length === 0 || !properties.every((p) => typeof p === 'string') || !Number.isSafeInteger(timestamp)) {
      throw new WebhookSignatureError('missing_signature', 'No signature.properties, signature.checksum or timestamp');
    }
    let expected: string;
    try {
      expected = eventChecksum({ data: event.data, signature: { properties: properties as string[] }, timestamp: timestamp as number }, this.opts.config.eventsSecret);
    } catch {
      throw new WebhookSignatureError('malformed', 'A signed property is not a value');
    }
    const headerChecksum = req.headers['x-event-checksum'];
    const fromHeader = Array.isArray(headerChecksum) ? headerChecksum[0] : headerChecksum;
    // Wompi sends the checksum in the body and in X-Event-Checksum; each one present must match.
    if (!checksumMatches(checksum, expected) || (fromHeader !== undefined && !checksumMatches(fromHeader, expected))) {
      throw new WebhookSignatureError('bad_signature', 'The event checksum does not match');
    }
    const nowS = Math.floor(Date.now() / 1000);
    const tolerance = this.opts.toleranceSeconds ?? WOMPI_MIN_TOLERANCE_S;
    if (nowS - (timestamp as number) > tolerance || (timestamp as number) - nowS > 300) {
      throw new WebhookSignatureError('stale_timestamp', 'The event timestamp is outside the tolerance');
    }
    const tx = ((event.data ?? {}) as Json).transaction as Json | undefined;
    if (event.event !== 'transaction.updated' || typeof tx !== 'object' || tx === null || typeof tx.id !== 'string') {
      return { eventId: `${String(event.event)}:${checksum.toLowerCase()}`, kind: 'ignored' };
    }
    // Wompi events carry no id of their own: a transaction reaches each status once, and a
    // retry repeats the first delivery's timestamp, so these three name the event.
    const payment = paymentFromTransaction(tx);
    return { eventId: `transaction.updated:${tx.id}:${String(tx.status)}:${String(timestamp)}`, kind: 'payment', payment, ...(payment.reference ? { reference: payment.reference } : {}) };
  }

  private async request(method: 'GET' | 'POST', path: string, what: string, o: { auth?: boolean; body?: unknown } = {}): Promise<Json> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (o.auth) headers.authorization = `Bearer ${this.opts.config.privateKey}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw new ProviderError('wompi', `could not ${what}: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const text = await res.text();
    let json: Json = {};
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      // Wompi answers JSON; anything else came from a proxy or load balancer in between.
      throw new ProviderError('wompi', `could not ${what}: a non-JSON answer (HTTP ${res.status})`, { status: res.status, retryable: true });
    }
    if (!res.ok) {
      const error = (json.error ?? {}) as Json;
      const reason = str(error.reason) ?? (error.messages ? JSON.stringify(error.messages) : `HTTP ${res.status}`);
      throw new ProviderError('wompi', `could not ${what}: ${reason}`, { status: res.status, code: str(error.type) });
    }
    return json;
  }
}

/** The registry's factory for `modules.payments.providers.wompi`. */
export const createWompiProvider: ProviderFactory<WompiConfig> = (ctx) =>
  new WompiProvider({ config: ctx.config, timeoutMs: ctx.timeoutMs, toleranceSeconds: Math.max(ctx.webhookToleranceSeconds ?? 0, WOMPI_MIN_TOLERANCE_S) });
