import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError, WebhookSignatureError, type CheckoutInput, type WebhookEvent } from '../contract.js';
import { WompiProvider, wompiEnvironment } from './adapter.js';
import { FakeWompi, type SignedDelivery } from './fake-server.js';
import { integritySignature } from './signatures.js';

// The adapter against the local fake Wompi: real HTTP, real checksums.

let fake: FakeWompi;
let wompi: WompiProvider;
let inbox: SignedDelivery[];

const verify = (d: SignedDelivery): Promise<WebhookEvent> => wompi.verifyWebhook({ rawBody: d.rawBody, headers: d.headers, query: {} });
const checkout = (over: Partial<CheckoutInput> = {}): CheckoutInput => ({
  paymentId: `pay_${Math.random().toString(36).slice(2)}`,
  purpose: { kind: 'package', key: 'pack-100' },
  title: '100 créditos',
  amount: 2_990_000,
  currency: 'COP',
  payer: { email: 'juan@example.com', userId: 'user-1', tenantId: null },
  successUrl: 'http://localhost:8000/payments/success?payment=1',
  cancelUrl: 'http://localhost:8000/payments/cancel',
  ...over,
});

beforeAll(async () => {
  fake = await FakeWompi.start();
  wompi = new WompiProvider({ config: fake.config, timeoutMs: 5000 });
});
afterAll(() => fake.close());
beforeEach(() => {
  inbox = [];
  fake.onWebhook(async (d) => void inbox.push(d));
});

describe('Wompi adapter: checkout and payments', () => {
  it('builds a Web Checkout URL signed with the integrity secret (reference, amount, currency, expiration)', async () => {
    const input = checkout();
    const { providerCheckoutId, redirectUrl } = await wompi.createCheckout(input);
    expect(providerCheckoutId).toBe(`checkout:${input.paymentId}`);
    const url = new URL(redirectUrl);
    expect(`${url.origin}${url.pathname}`).toBe(new URL('/p/', fake.baseUrl).toString());
    const q = url.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({
      'public-key': fake.publicKey,
      currency: 'COP',
      'amount-in-cents': '2990000',
      reference: input.paymentId,
      'redirect-url': input.successUrl,
      'customer-data:email': 'juan@example.com',
    });
    const expirationTime = q.get('expiration-time')!;
    expect(Date.parse(expirationTime)).toBeGreaterThan(Date.now());
    expect(q.get('signature:integrity')).toBe(integritySignature({ reference: input.paymentId, amountInCents: 2_990_000, currency: 'COP', expirationTime, secret: fake.integritySecret }));
    // The fake checkout page accepts it, and refuses a tampered amount.
    expect((await fetch(redirectUrl)).status).toBe(200);
    q.set('amount-in-cents', '100');
    expect((await fetch(`${url.origin}${url.pathname}?${q}`)).status).toBe(400);
    await expect(fake.pay(`${url.origin}${url.pathname}?${q}`)).rejects.toThrow(/signature:integrity/);
  });

  it('refuses other currencies, and sells a plan as one prepaid period', async () => {
    await expect(wompi.createCheckout(checkout({ currency: 'USD' }))).rejects.toMatchObject({ opts: { code: 'unsupported_currency' }, retryable: false });
    const plan = checkout({ purpose: { kind: 'plan', key: 'business' }, amount: 990_000, recurring: { interval: 'year', trialDays: 14 } });
    const { redirectUrl } = await wompi.createCheckout(plan);
    const tx = await fake.pay(redirectUrl, { status: 'APPROVED' });
    expect(tx).toMatchObject({ reference: plan.paymentId, amount_in_cents: 990_000 });
  });

  it('turns a paid checkout into an approved payment, found by id, by reference and by checkout id', async () => {
    const input = checkout();
    const { providerCheckoutId, redirectUrl } = await wompi.createCheckout(input);
    expect(await wompi.fetchPayment(providerCheckoutId)).toMatchObject({ status: 'pending', reference: input.paymentId, providerStatus: 'NO_TRANSACTION' });
    const declined = await fake.pay(redirectUrl, { status: 'DECLINED' });
    const tx = await fake.pay(redirectUrl, { status: 'APPROVED' });
    const events = await Promise.all(inbox.map(verify));
    expect(events.map((e) => e.payment?.status)).toEqual(['rejected', 'approved']);
    expect(events[1]).toMatchObject({
      kind: 'payment',
      reference: input.paymentId,
      payment: { providerPaymentId: tx.id, reference: input.paymentId, status: 'approved', amount: 2_990_000, currency: 'COP', providerStatus: 'APPROVED' },
    });
    expect(events[1].eventId).toBe(`transaction.updated:${tx.id as string}:APPROVED:${fake.lastEvent(tx.id as string)!.timestamp}`);
    expect(await wompi.fetchPayment(tx.id as string)).toMatchObject({ status: 'approved', reference: input.paymentId });
    const found = await wompi.findPaymentsByReference(input.paymentId);
    expect(found.map((p) => [p.providerPaymentId, p.status]).sort()).toEqual([[declined.id, 'rejected'], [tx.id, 'approved']].sort());
    // The checkout id resolves to the attempt that counts.
    expect(await wompi.fetchPayment(providerCheckoutId)).toMatchObject({ providerPaymentId: tx.id, status: 'approved' });
    await expect(wompi.fetchPayment('0000-0-0')).rejects.toMatchObject({ opts: { status: 404, code: 'NOT_FOUND_ERROR' }, retryable: false });
  });

  it('voids an approved card payment, and says clearly what Wompi cannot refund', async () => {
    const card = await fake.pay((await wompi.createCheckout(checkout())).redirectUrl, { status: 'APPROVED' });
    inbox = [];
    expect(await wompi.refund(card.id as string)).toEqual({ providerRefundId: `void:${card.id as string}`, status: 'succeeded' });
    const [voided] = await Promise.all(inbox.map(verify));
    expect(voided.payment).toMatchObject({ providerPaymentId: card.id, status: 'refunded' });
    expect(await wompi.fetchPayment(card.id as string)).toMatchObject({ status: 'refunded' });

    const pse = await fake.pay((await wompi.createCheckout(checkout())).redirectUrl, { status: 'APPROVED', method: 'PSE' });
    const e1 = await wompi.refund(pse.id as string).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ProviderError);
    expect(e1).toMatchObject({ retryable: false, opts: { code: 'refund_unsupported' } });
    const card2 = await fake.pay((await wompi.createCheckout(checkout())).redirectUrl, { status: 'APPROVED' });
    await expect(wompi.refund(card2.id as string, 1000)).rejects.toMatchObject({ opts: { code: 'partial_refund_unsupported' } });
  });

  it('uses the private key where Wompi asks for it', async () => {
    const wrong = new WompiProvider({ config: { ...fake.config, privateKey: 'prv_test_wrong' } });
    await expect(wrong.findPaymentsByReference('x')).rejects.toMatchObject({ opts: { status: 401, code: 'INVALID_ACCESS_TOKEN' }, retryable: false });
    const down = new WompiProvider({ config: { ...fake.config, baseUrl: 'http://127.0.0.1:1/v1' } });
    await expect(down.fetchPayment('1-2-3')).rejects.toMatchObject({ retryable: true });
  });
});

describe('Wompi fake: the Web Checkout a developer pays on', () => {
  it('checks the signed URL, then approves and redirects with ?id= like Wompi', async () => {
    const input = checkout();
    const { redirectUrl } = await wompi.createCheckout(input);
    const page = await fetch(redirectUrl);
    expect(await page.text()).toContain('Approve');
    const q = new URL(redirectUrl).searchParams.toString();
    const paid = await fetch(new URL('/p/pay', redirectUrl), { method: 'POST', body: new URLSearchParams({ checkout: q, status: 'APPROVED' }), redirect: 'manual' });
    expect(paid.status).toBe(303);
    const location = new URL(paid.headers.get('location')!);
    expect(location.searchParams.get('payment')).toBe('1');
    const tx = await wompi.fetchPayment(location.searchParams.get('id')!);
    expect(tx).toMatchObject({ reference: input.paymentId, status: 'approved' });
  });
});

describe('Wompi adapter: events', () => {
  it('accepts the checksum in the body and in X-Event-Checksum, in any case', async () => {
    const tx = await fake.pay((await wompi.createCheckout(checkout())).redirectUrl, { status: 'APPROVED' });
    const event = fake.lastEvent(tx.id as string)!;
    const d = fake.signed(event);
    expect((await verify(d)).kind).toBe('payment');
    const lower = { ...event, signature: { ...event.signature, checksum: event.signature.checksum.toLowerCase() } };
    expect((await verify({ rawBody: Buffer.from(JSON.stringify(lower)), headers: {} })).payment?.status).toBe('approved');
  });

  it.each([
    ['secret', 'bad_signature'],
    ['body', 'bad_signature'],
    ['checksum', 'bad_signature'],
    ['header', 'bad_signature'],
    ['stale', 'stale_timestamp'],
  ] as const)('refuses a delivery spoiled by %s (%s)', async (tamper, reason) => {
    const event = fake.lastEvent()!;
    const err = await verify(fake.signed(event, tamper)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookSignatureError);
    expect((err as WebhookSignatureError).reason).toBe(reason);
  });

  it('refuses bodies without a signature or that are not JSON, and ignores other event types', async () => {
    const bad = async (body: string) => ((await wompi.verifyWebhook({ rawBody: Buffer.from(body), headers: {}, query: {} }).catch((e: unknown) => e)) as WebhookSignatureError).reason;
    expect(await bad('not json')).toBe('malformed');
    expect(await bad('null')).toBe('missing_signature');
    expect(await bad('{"event":"transaction.updated","data":{},"timestamp":1}')).toBe('missing_signature');
    expect(await bad('{"data":{"t":{"x":{}}},"signature":{"properties":["t.x"],"checksum":"a"},"timestamp":1}')).toBe('malformed');
    const token = fake.event({ id: 'tok', status: 'APPROVED', amount_in_cents: 0 });
    const other = { ...token, event: 'nequi_token.updated', data: { nequi_token: token.data.transaction } };
    other.signature.properties = ['nequi_token.id', 'nequi_token.status'];
    const { eventChecksum } = await import('./signatures.js');
    other.signature.checksum = eventChecksum(other, fake.eventsSecret);
    expect(await wompi.verifyWebhook({ rawBody: Buffer.from(JSON.stringify(other)), headers: {}, query: {} })).toMatchObject({ kind: 'ignored' });
  });
});

describe('Wompi environments', () => {
  it('is sandbox or production by the public key, and refuses keys of mixed environments', () => {
    const test = { publicKey: 'pub_test_a', privateKey: 'prv_test_b', eventsSecret: 'test_events_c', integritySecret: 'test_integrity_d' };
    expect(wompiEnvironment(test)).toBe('sandbox');
    expect(wompiEnvironment({ publicKey: 'pub_prod_a', privateKey: 'prv_prod_b', eventsSecret: 'prod_events_c', integritySecret: 'prod_integrity_d' })).toBe('production');
    expect(() => wompiEnvironment({ ...test, privateKey: 'prv_prod_b' })).toThrow(/privateKey must start with prv_test_/);
    expect(() => wompiEnvironment({ ...test, publicKey: 'pk_x' })).toThrow(/pub_test_/);
    const sandbox = new WompiProvider({ config: test });
    expect((sandbox as unknown as { baseUrl: string }).baseUrl).toBe('https://sandbox.wompi.co/v1');
  });
});
