import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError, WebhookSignatureError, type CheckoutInput, type WebhookEvent } from '../contract.js';
import { StripeProvider, sdkAddress } from './adapter.js';
import { FakeStripe, type SignedDelivery } from './fake-server.js';

// The adapter against the local fake Stripe: real SDK, real HTTP, real signatures.

let fake: FakeStripe;
let stripe: StripeProvider;
let inbox: SignedDelivery[];

const verify = (d: SignedDelivery): Promise<WebhookEvent> => stripe.verifyWebhook({ rawBody: d.rawBody, headers: d.headers, query: {} });
/** The verified events of the deliveries received so far, by Stripe type. */
async function received(): Promise<Array<{ type: string; event: WebhookEvent }>> {
  return Promise.all(inbox.map(async (d) => ({ type: JSON.parse(d.rawBody.toString()).type as string, event: await verify(d) })));
}

const checkout = (over: Partial<CheckoutInput> = {}): CheckoutInput => ({
  paymentId: `pay_${Math.random().toString(36).slice(2)}`,
  purpose: { kind: 'package', key: 'pack-100' },
  title: '100 credits',
  amount: 4990,
  currency: 'USD',
  payer: { email: 'ana@example.com', userId: 'user-1', tenantId: 'tenant-1' },
  successUrl: 'http://localhost:8000/payments/success',
  cancelUrl: 'http://localhost:8000/payments/cancel',
  ...over,
});

beforeAll(async () => {
  fake = await FakeStripe.start();
  stripe = new StripeProvider({ config: fake.config, timeoutMs: 5000 });
});
afterAll(() => fake.close());
beforeEach(() => {
  inbox = [];
  fake.onWebhook(async (d) => void inbox.push(d));
});

describe('Stripe adapter: one-off payments', () => {
  it('creates a Checkout Session carrying our payment id, user and tenant, and is idempotent per payment', async () => {
    const input = checkout();
    const first = await stripe.createCheckout(input);
    expect(first.providerCheckoutId).toMatch(/^cs_test_/);
    expect(first.redirectUrl).toBe(`${fake.baseUrl}/c/pay/${first.providerCheckoutId}`);
    const session = fake.state.session(first.providerCheckoutId);
    expect(session).toMatchObject({
      mode: 'payment',
      amount_total: 4990,
      currency: 'usd',
      client_reference_id: input.paymentId,
      customer_email: 'ana@example.com',
      metadata: { paymentId: input.paymentId, userId: 'user-1', tenantId: 'tenant-1', purposeKind: 'package', purposeKey: 'pack-100' },
      _intentMetadata: { paymentId: input.paymentId, tenantId: 'tenant-1' },
    });
    // A retried create (same payment) is the same session, not a second one.
    expect((await stripe.createCheckout(input)).providerCheckoutId).toBe(first.providerCheckoutId);
    expect([...fake.state.sessions.values()].filter((s) => s.client_reference_id === input.paymentId)).toHaveLength(1);
  });

  it('turns a paid checkout into approved payments named by the PaymentIntent, and fetches the same', async () => {
    const input = checkout();
    const { providerCheckoutId } = await stripe.createCheckout(input);
    await fake.completeCheckout(providerCheckoutId);
    const events = await received();
    expect(events.map((e) => e.type)).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
    const pi = fake.state.session(providerCheckoutId).payment_intent as string;
    expect(events[0].event.kind).toBe('ignored');
    for (const { event } of events.slice(1)) {
      expect(event).toMatchObject({ kind: 'payment', payment: { providerPaymentId: pi, reference: input.paymentId, status: 'approved', amount: 4990, currency: 'USD' } });
      expect(event.eventId).toMatch(/^evt_test_/);
    }
    expect(await stripe.fetchPayment(pi)).toMatchObject({ providerPaymentId: pi, reference: input.paymentId, status: 'approved', refundedAmount: 0 });
    expect(await stripe.fetchPayment(providerCheckoutId)).toMatchObject({ providerPaymentId: pi, status: 'approved' });
    const found = await stripe.findPaymentsByReference(input.paymentId);
    expect(found.map((p) => [p.providerPaymentId, p.status])).toEqual([[pi, 'approved']]);
  });

  it('reports an unpaid checkout as pending and a declined card as rejected', async () => {
    const input = checkout();
    const { providerCheckoutId } = await stripe.createCheckout(input);
    expect(await stripe.fetchPayment(providerCheckoutId)).toMatchObject({ providerPaymentId: providerCheckoutId, reference: input.paymentId, status: 'pending' });
    expect(await stripe.findPaymentsByReference(input.paymentId)).toEqual([]);
    await fake.completeCheckout(providerCheckoutId, 'failed');
    const [failed] = await received();
    expect(failed.type).toBe('payment_intent.payment_failed');
    expect(failed.event).toMatchObject({ kind: 'payment', payment: { reference: input.paymentId, status: 'rejected', providerStatus: 'requires_payment_method' } });
  });

  it('refunds in part and in full, and a dispute is a charge-back', async () => {
    const input = checkout({ amount: 10_000 });
    const { providerCheckoutId } = await stripe.createCheckout(input);
    await fake.completeCheckout(providerCheckoutId);
    const pi = fake.state.session(providerCheckoutId).payment_intent as string;
    inbox = [];

    const part = await stripe.refund(pi, 2500);
    expect(part).toMatchObject({ status: 'succeeded' });
    expect(part.providerRefundId).toMatch(/^re_test_/);
    expect(await stripe.fetchPayment(pi)).toMatchObject({ status: 'approved', refundedAmount: 2500 });
    await stripe.refund(pi);
    expect(await stripe.fetchPayment(pi)).toMatchObject({ status: 'refunded', refundedAmount: 10_000 });
    const refunds = (await received()).filter((e) => e.type === 'charge.refunded');
    expect(refunds.map((e) => e.event.payment && [e.event.payment.status, e.event.payment.refundedAmount, e.event.payment.reference])).toEqual([
      ['approved', 2500, input.paymentId],
      ['refunded', 10_000, input.paymentId],
    ]);
    const err = await stripe.refund(pi, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as ProviderError).opts).toMatchObject({ status: 400, code: 'charge_already_refunded' });

    const other = await stripe.createCheckout(checkout());
    await fake.completeCheckout(other.providerCheckoutId);
    const pi2 = fake.state.session(other.providerCheckoutId).payment_intent as string;
    inbox = [];
    await fake.dispute(pi2);
    const [d] = await received();
    expect(d.event).toMatchObject({ kind: 'payment', payment: { providerPaymentId: pi2, status: 'charged_back', amount: 4990 } });
    expect(await stripe.fetchPayment(pi2)).toMatchObject({ status: 'charged_back' });
  });
});

describe('Stripe adapter: webhook signatures', () => {
  it('accepts the header the SDK generates, which is HMAC-SHA256 over "t.body" as Stripe documents', async () => {
    const { providerCheckoutId } = await stripe.createCheckout(checkout());
    fake.autoDeliver = false;
    const [, , completed] = await fake.completeCheckout(providerCheckoutId);
    fake.autoDeliver = true;
    const d = fake.signed(completed, { timestamp: Math.floor(Date.now() / 1000) });
    const [t, v1] = d.headers['stripe-signature'].split(',').map((p) => p.split('=')[1]);
    expect(v1).toBe(createHmac('sha256', fake.webhookSecret).update(`${t}.${d.rawBody.toString()}`).digest('hex'));
    expect((await verify(d)).eventId).toBe(completed.id);
    // An array header (a proxy repeating it) is read by its first value.
    expect((await stripe.verifyWebhook({ rawBody: d.rawBody, headers: { 'stripe-signature': [d.headers['stripe-signature'], 'x'] }, query: {} })).eventId).toBe(completed.id);
  });

  it.each([
    ['secret', 'bad_signature'],
    ['body', 'bad_signature'],
    ['stale', 'stale_timestamp'],
    ['missing', 'missing_signature'],
  ] as const)('refuses a delivery spoiled by %s (%s)', async (tamper, reason) => {
    const event = fake.events.at(-1)!;
    const err = await verify(fake.signed(event, { tamper })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookSignatureError);
    expect((err as WebhookSignatureError).reason).toBe(reason);
  });

  it('refuses garbage headers and signed bodies that are not events', async () => {
    const body = Buffer.from('{"hello":"world"}');
    for (const h of ['garbage', 't=abc', 'v1=deadbeef', 't=1,v0=zz']) {
      await expect(stripe.verifyWebhook({ rawBody: body, headers: { 'stripe-signature': h }, query: {} })).rejects.toBeInstanceOf(WebhookSignatureError);
    }
    const signedNonEvent = { rawBody: body, headers: { 'stripe-signature': fakeHeader(body.toString()) }, query: {} };
    await expect(stripe.verifyWebhook(signedNonEvent)).rejects.toMatchObject({ reason: 'malformed' });
  });
});

function fakeHeader(payload: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', fake.webhookSecret).update(`${t}.${payload}`).digest('hex')}`;
}

describe('Stripe adapter: subscriptions', () => {
  it('goes trialing → active → past_due → canceled with the plan and owner on every event', async () => {
    const input = checkout({ purpose: { kind: 'plan', key: 'pro' }, amount: 2900, recurring: { interval: 'month', trialDays: 14 } });
    const { providerCheckoutId } = await stripe.createCheckout(input);
    expect(fake.state.session(providerCheckoutId)).toMatchObject({ mode: 'subscription', _trialDays: 14, _subscriptionMetadata: { planKey: 'pro', tenantId: 'tenant-1' } });
    await fake.completeCheckout(providerCheckoutId);
    const subId = fake.state.session(providerCheckoutId).subscription as string;
    const owner = { userId: 'user-1', tenantId: 'tenant-1' };
    const step = async () => {
      const out = (await received()).filter((e) => e.event.kind === 'subscription').map((e) => [e.event.subscriptionEvent, e.event.subscription?.status]);
      inbox = [];
      return out;
    };
    const started = await received();
    const created = started.find((e) => e.type === 'customer.subscription.created')!.event;
    expect(created.subscription).toMatchObject({ providerSubscriptionId: subId, planKey: 'pro', owner, reference: input.paymentId, status: 'trialing', cancelAtPeriodEnd: false });
    expect(Date.parse(created.subscription!.trialEnd!) - Date.now()).toBeGreaterThan(13 * 86_400_000);
    expect(created.subscription!.currentPeriodEnd).toBe(created.subscription!.trialEnd);
    expect(started.find((e) => e.type === 'checkout.session.completed')!.event).toMatchObject({ kind: 'subscription', subscriptionEvent: 'created', reference: input.paymentId, subscription: { status: 'trialing', planKey: 'pro' } });
    expect(await step()).toEqual([['created', 'trialing'], ['invoice.paid', 'trialing'], ['created', 'trialing']]);

    await fake.trialWillEnd(subId);
    expect(await step()).toEqual([['trial_will_end', 'trialing']]);
    await fake.advanceSubscription(subId, 'active');
    expect(await step()).toEqual([['invoice.paid', 'active'], ['updated', 'active']]);
    await fake.advanceSubscription(subId, 'past_due');
    expect(await step()).toEqual([['invoice.payment_failed', 'past_due'], ['updated', 'past_due']]);
    await fake.advanceSubscription(subId, 'active');
    expect(await step()).toEqual([['invoice.paid', 'active'], ['updated', 'active']]);
    await fake.advanceSubscription(subId, 'canceled');
    expect(await step()).toEqual([['deleted', 'canceled']]);

    expect(await stripe.fetchSubscription(subId)).toMatchObject({ providerSubscriptionId: subId, status: 'canceled', planKey: 'pro', owner });
    const customer = fake.state.subscription(subId).customer as string;
    expect(await stripe.portalUrl(customer, 'http://localhost:8000/account')).toMatch(new RegExp(`^${fake.baseUrl}/p/session/bps_test_`));
  });

  it('subscribes with a dashboard price id, and names a missing one', async () => {
    const priceId = fake.addPrice({ unitAmount: 9900, currency: 'usd', interval: 'year' });
    const { providerCheckoutId } = await stripe.createCheckout(checkout({ purpose: { kind: 'plan', key: 'team' }, recurring: { interval: 'year', providerPriceId: priceId } }));
    await fake.completeCheckout(providerCheckoutId);
    const subId = fake.state.session(providerCheckoutId).subscription as string;
    expect(await stripe.fetchSubscription(subId)).toMatchObject({ status: 'active', planKey: 'team' });
    const err = await stripe.createCheckout(checkout({ recurring: { interval: 'month', providerPriceId: 'price_missing' } })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ProviderError', opts: { status: 404, code: 'resource_missing' } });
  });
});

describe('Stripe fake: the hosted page a developer pays on', () => {
  it('shows the session and pays it, redirecting to the success URL', async () => {
    const input = checkout({ successUrl: 'http://localhost:8000/ok?s={CHECKOUT_SESSION_ID}' });
    const { providerCheckoutId, redirectUrl } = await stripe.createCheckout(input);
    const page = await fetch(redirectUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('4990 USD');
    const paid = await fetch(redirectUrl, { method: 'POST', body: new URLSearchParams({ outcome: 'succeeded' }), redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`http://localhost:8000/ok?s=${providerCheckoutId}`);
    expect(fake.state.session(providerCheckoutId).status).toBe('complete');
    expect((await received()).map((e) => e.event.payment?.status)).toContain('approved');
    expect((await fetch(`${fake.baseUrl}/c/pay/cs_nope`)).status).toBe(404);
  });
});

describe('Stripe adapter: errors and addresses', () => {
  it('maps a wrong key to a non-retryable error and an unreachable Stripe to a retryable one', async () => {
    const wrong = new StripeProvider({ config: { ...fake.config, secretKey: 'sk_test_wrong' } });
    const e1 = await wrong.fetchPayment('pi_x').catch((e: unknown) => e);
    expect(e1).toMatchObject({ name: 'ProviderError', retryable: false, opts: { status: 401 } });
    const down = new StripeProvider({ config: { ...fake.config, baseUrl: 'http://127.0.0.1:1' }, timeoutMs: 1000, maxNetworkRetries: 0 });
    const e2 = await down.fetchPayment('pi_x').catch((e: unknown) => e);
    expect(e2).toMatchObject({ name: 'ProviderError', retryable: true });
    expect(await stripe.fetchPayment('pi_missing').catch((e: ProviderError) => e.opts.status)).toBe(404);
  });

  it('splits a base URL into the SDK host, port and protocol, and tells test keys', () => {
    expect(sdkAddress('https://api.stripe.com')).toEqual({ host: 'api.stripe.com', port: 443, protocol: 'https' });
    expect(sdkAddress('http://127.0.0.1:12111')).toEqual({ host: '127.0.0.1', port: 12111, protocol: 'http' });
    expect(StripeProvider.isTestKey('sk_test_123')).toBe(true);
    expect(StripeProvider.isTestKey('sk_live_123')).toBe(false);
  });
});
