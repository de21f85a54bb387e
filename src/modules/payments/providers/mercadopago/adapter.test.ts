import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError, WebhookSignatureError, type PaymentProvider } from '../contract.js';
import { createMercadoPagoProvider } from './adapter.js';
import { FakeMercadoPago } from './fake-server.js';

const log = { info() {}, warn() {} };

describe('Mercado Pago adapter against the local fake', () => {
  let fake: FakeMercadoPago;
  let mp: PaymentProvider;
  const make = (over: Record<string, unknown> = {}) =>
    createMercadoPagoProvider({ config: { ...fake.config, sandbox: 'auto', ...over }, publicUrl: 'https://api.example.com', env: 'test', timeoutMs: 5000, webhookToleranceSeconds: 300, log });
  const input = (paymentId: string) => ({
    paymentId,
    purpose: { kind: 'package' as const, key: 'pack-100' },
    title: '100 créditos',
    amount: 1000,
    currency: 'ARS',
    payer: { userId: 'u1', email: 'ana@example.com' },
    successUrl: `https://shop.example.com/ok?payment=${paymentId}`,
    cancelUrl: `https://shop.example.com/cancel?payment=${paymentId}`,
    notificationUrl: 'https://api.example.com/v1/webhooks/mercadopago',
  });

  beforeAll(async () => {
    fake = await FakeMercadoPago.start();
    fake.autoDeliver = false;
    mp = make();
  });
  afterAll(() => fake?.close());

  it('creates a Checkout Pro preference with our reference, back URLs and the signed-webhooks-only notification URL', async () => {
    const r = await mp.createCheckout(input('pay-1'));
    const pref = fake.preferences.get(r.providerCheckoutId)!;
    expect(pref).toMatchObject({
      external_reference: 'pay-1',
      items: [{ title: '100 créditos', quantity: 1, unit_price: 10, currency_id: 'ARS' }],
      back_urls: { success: 'https://shop.example.com/ok?payment=pay-1', failure: 'https://shop.example.com/cancel?payment=pay-1' },
      auto_return: 'approved',
      notification_url: 'https://api.example.com/v1/webhooks/mercadopago?source_news=webhooks',
      payer: { email: 'ana@example.com' },
    });
    // TEST- credentials: the sandbox URL; production credentials (APP_USR-) or sandbox: false: init_point.
    expect(r.redirectUrl).toBe(pref.sandbox_init_point);
    expect((await make({ sandbox: false }).createCheckout(input('pay-2'))).redirectUrl).not.toContain('sandbox');
  });

  it('fetches payments in minor units, finds them by reference, maps statuses, refunds', async () => {
    const { redirectUrl } = await mp.createCheckout(input('pay-3'));
    const declined = await fake.pay(redirectUrl, { status: 'rejected' });
    const paid = await fake.pay(redirectUrl, { status: 'approved' });
    expect(await mp.fetchPayment(String(paid.id))).toMatchObject({ providerPaymentId: String(paid.id), reference: 'pay-3', status: 'approved', amount: 1000, currency: 'ARS', providerStatus: 'approved/accredited' });
    const found = await mp.findPaymentsByReference!('pay-3');
    expect(found.map((p) => [p.providerPaymentId, p.status]).sort()).toEqual([[String(declined.id), 'rejected'], [String(paid.id), 'approved']].sort());
    expect(await mp.refund(String(paid.id))).toMatchObject({ status: 'succeeded' });
    expect((await mp.fetchPayment(String(paid.id))).status).toBe('refunded');
    await fake.setStatus(declined.id, 'cancelled');
    expect((await mp.fetchPayment(String(declined.id))).status).toBe('rejected');
  });

  it('reports provider errors: unknown payment (not retryable), bad credentials', async () => {
    const missing = await mp.fetchPayment('999').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ProviderError);
    expect((missing as ProviderError).retryable).toBe(false);
    const denied = await make({ accessToken: 'TEST-wrong' }).createCheckout(input('pay-4')).catch((e: unknown) => e);
    expect(denied).toMatchObject({ opts: { status: 401 } });
    const down = await make({ baseUrl: 'http://127.0.0.1:9' }).fetchPayment('1').catch((e: unknown) => e);
    expect((down as ProviderError).retryable).toBe(true);
  });

  it('turns a signed notification into a payment event keyed by its notification id', async () => {
    const { redirectUrl } = await mp.createCheckout(input('pay-5'));
    const paid = await fake.pay(redirectUrl);
    const n = fake.lastNotification(paid.id)!;
    const d = fake.signed(n);
    expect(await mp.verifyWebhook(d)).toEqual({ eventId: String(n.id), kind: 'payment', providerPaymentId: String(paid.id) });
    for (const tamper of ['secret', 'stale', 'swap', 'unsigned'] as const) {
      await expect(mp.verifyWebhook(fake.signed(n, tamper))).rejects.toBeInstanceOf(WebhookSignatureError);
    }
    const other = fake.signed({ ...n, body: { ...n.body, type: 'merchant_order' } });
    other.query.type = 'merchant_order';
    expect((await mp.verifyWebhook(other)).kind).toBe('ignored');
  });
});
