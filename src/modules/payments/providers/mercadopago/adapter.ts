import type { MercadoPagoConfig } from '../../config.js';
import {
  ProviderError,
  WebhookSignatureError,
  type CheckoutInput,
  type CheckoutResult,
  type PaymentProvider,
  type ProviderFactoryContext,
  type ProviderPayment,
  type RefundResult,
  type WebhookEvent,
  type WebhookRequest,
} from '../contract.js';
import { verifySignature } from './signature.js';
import { toMajor, toProviderPayment, type MpNotification, type MpPayment, type MpPreference, type MpRefund, type MpSearch } from './wire.js';

/**
 * Mercado Pago over plain fetch. The official `mercadopago` SDK (2.x) reads its base URL from a
 * process-wide constant (`AppConfig.BASE_URL`), so it cannot point one app at a local fake and
 * another at the real API; its REST surface is small (four calls), so this adapter speaks it
 * directly, with the base URL from configuration.
 *
 * Checkout Pro: a preference per checkout (external_reference = our paymentId,
 * notification_url = our webhook, back_urls), the payer goes to `init_point`, or to
 * `sandbox_init_point` with sandbox credentials (`TEST-…` access tokens, or `sandbox: true`).
 */
export function createMercadoPagoProvider(fctx: ProviderFactoryContext<MercadoPagoConfig>): PaymentProvider {
  const cfg = fctx.config;
  const base = cfg.baseUrl.replace(/\/+$/, '');
  const sandbox = cfg.sandbox === 'auto' ? cfg.accessToken.startsWith('TEST-') : cfg.sandbox;
  const tolerance = fctx.webhookToleranceSeconds ?? 300;

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${cfg.accessToken}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          // Mercado Pago requires it on POSTs: a retried request is not executed twice.
          ...(idempotencyKey ? { 'x-idempotency-key': idempotencyKey } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(fctx.timeoutMs),
      });
    } catch (err) {
      throw new ProviderError('mercadopago', `${method} ${path}: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json ?? {}) as { message?: string; error?: string };
      throw new ProviderError('mercadopago', `${method} ${path} answered ${res.status}: ${e.message ?? e.error ?? text.slice(0, 200)}`, { status: res.status, code: e.error });
    }
    if (json === undefined) throw new ProviderError('mercadopago', `${method} ${path}: the answer is not JSON`, { status: res.status, retryable: true });
    return json as T;
  }

  return {
    name: 'mercadopago',

    async createCheckout(input: CheckoutInput): Promise<CheckoutResult> {
      // A plan is sold as one prepaid period (the plans module extends the subscription on
      // payment.succeeded): Mercado Pago's own subscriptions (preapproval) are not used.
      const https = input.successUrl.startsWith('https://');
      const pref = await call<MpPreference>(
        'POST',
        '/checkout/preferences',
        {
          items: [
            {
              id: `${input.purpose.kind}:${input.purpose.key}`,
              title: input.title,
              quantity: 1,
              unit_price: toMajor(input.amount, input.currency),
              currency_id: input.currency,
            },
          ],
          external_reference: input.paymentId,
          ...(input.payer.email ? { payer: { email: input.payer.email } } : {}),
          back_urls: { success: input.successUrl, pending: input.successUrl, failure: input.cancelUrl },
          // Mercado Pago refuses auto_return unless the success URL is public https.
          ...(https ? { auto_return: 'approved' } : {}),
          // source_news=webhooks: signed webhooks only, not the legacy unsigned IPN for the same events.
          ...(input.notificationUrl ? { notification_url: `${input.notificationUrl}?source_news=webhooks` } : {}),
          metadata: { payment_id: input.paymentId, user_id: input.payer.userId, tenant_id: input.payer.tenantId ?? null, purpose: `${input.purpose.kind}:${input.purpose.key}` },
          ...(cfg.statementDescriptor ? { statement_descriptor: cfg.statementDescriptor } : {}),
        },
        `checkout:${input.paymentId}`,
      );
      return { providerCheckoutId: pref.id, redirectUrl: sandbox ? pref.sandbox_init_point : pref.init_point };
    },

    async fetchPayment(id: string): Promise<ProviderPayment> {
      if (!/^\d{1,30}$/.test(id)) throw new ProviderError('mercadopago', `not a payment id: ${id.slice(0, 40)}`, { status: 404 });
      return toProviderPayment(await call<MpPayment>('GET', `/v1/payments/${id}`));
    },

    async findPaymentsByReference(paymentId: string): Promise<ProviderPayment[]> {
      const q = new URLSearchParams({ external_reference: paymentId, sort: 'date_created', criteria: 'desc', limit: '50' });
      const page = await call<MpSearch<MpPayment>>('GET', `/v1/payments/search?${q}`);
      return page.results.filter((p) => p.external_reference === paymentId).map(toProviderPayment);
    },

    async refund(id: string, amount?: number): Promise<RefundResult> {
      const payment = amount === undefined ? undefined : await call<MpPayment>('GET', `/v1/payments/${id}`);
      const body = payment && amount !== undefined ? { amount: toMajor(amount, payment.currency_id) } : {};
      const r = await call<MpRefund>('POST', `/v1/payments/${id}/refunds`, body, `refund:${id}:${amount ?? 'full'}`);
      const status = r.status === 'approved' ? 'succeeded' : r.status === 'rejected' || r.status === 'cancelled' ? 'failed' : 'pending';
      return { providerRefundId: String(r.id), status };
    },

    async verifyWebhook(req: WebhookRequest): Promise<WebhookEvent> {
      // The signed id is the query's data.id (the body is not signed): only it is trusted.
      const dataId = req.query['data.id'] ?? req.query.id;
      const parts = verifySignature({ secret: cfg.webhookSecret, headers: req.headers, dataId, toleranceSeconds: tolerance });
      let body: MpNotification = {};
      if (req.rawBody.length) {
        try {
          const parsed: unknown = JSON.parse(req.rawBody.toString('utf8'));
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as MpNotification;
        } catch {
          throw new WebhookSignatureError('malformed', 'the body is not JSON');
        }
      }
      const type = req.query.type ?? req.query.topic ?? body.type;
      const eventId = String(body.id ?? parts.requestId ?? `${type}:${dataId}:${parts.ts}`).slice(0, 200);
      if (type === 'payment' && parts.dataId) return { eventId, kind: 'payment', providerPaymentId: parts.dataId };
      return { eventId, kind: 'ignored' };
    },
  };
}
