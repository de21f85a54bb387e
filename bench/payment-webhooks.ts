/**
 * Webhook verification cost of the Stripe, Wompi and Mercado Pago adapters, in process, against a floor measured
 * in the same run: the bare crypto and JSON.parse the provider's scheme needs (HMAC-SHA256 over
 * `t.body` for Stripe, SHA-256 over the signed values for Wompi). The adapters add the SDK's
 * header parsing, the constant-time compare, the tolerance check and the normalization.
 *   node bin/run-ts.mjs bench/payment-webhooks.ts [--rounds 3] [--ms 1000]
 * Target: each adapter >= 50% of its floor (verification is a small share of a webhook request).
 */
import { createHash, createHmac } from 'node:crypto';
import { parseArgs } from 'node:util';
import { compare, printTable } from './lib.js';
import { StripeProvider } from '../src/modules/payments/providers/stripe/adapter.js';
import { FakeStripe } from '../src/modules/payments/providers/stripe/fake-server.js';
import { WompiProvider } from '../src/modules/payments/providers/wompi/adapter.js';
import { FakeWompi } from '../src/modules/payments/providers/wompi/fake-server.js';
import { createMercadoPagoProvider } from '../src/modules/payments/providers/mercadopago/adapter.js';
import { FakeMercadoPago } from '../src/modules/payments/providers/mercadopago/fake-server.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, ms: { type: 'string', default: '1000' } } });
const rounds = Number(values.rounds);
const windowMs = Number(values.ms);

/** Calls per second of `fn` over the window, and CPU µs per call. */
async function rate(fn: () => unknown | Promise<unknown>): Promise<{ rate: number; cpuUs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < windowMs) {
    for (let i = 0; i < 200; i++) await fn();
    n += 200;
  }
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { rate: (n / elapsed) * 1000, cpuUs: (cpu.user + cpu.system) / n };
}

const stripeFake = await FakeStripe.start();
const wompiFake = await FakeWompi.start();
const mpFake = await FakeMercadoPago.start();
try {
  mpFake.autoDeliver = false;
  const mp = createMercadoPagoProvider({ config: { ...mpFake.config, sandbox: 'auto' }, publicUrl: 'http://localhost', env: 'test', timeoutMs: 5000, webhookToleranceSeconds: 3600, log: { info() {}, warn() {} } });
  const pref = await mp.createCheckout({ paymentId: 'bench-3', purpose: { kind: 'package', key: 'p' }, title: 'b', amount: 1000, currency: 'ARS', payer: { userId: 'u' }, successUrl: 'http://localhost/ok', cancelUrl: 'http://localhost/no' });
  const mpPayment = await mpFake.pay(pref.redirectUrl);
  const m = mpFake.signed(mpFake.lastNotification(mpPayment.id)!);
  const mpReq = { rawBody: m.rawBody, headers: m.headers, query: m.query };
  stripeFake.autoDeliver = false;
  wompiFake.autoDeliver = false;
  const stripe = new StripeProvider({ config: stripeFake.config });
  const wompi = new WompiProvider({ config: wompiFake.config });

  const session = await stripe.createCheckout({
    paymentId: 'bench-1',
    purpose: { kind: 'package', key: 'p' },
    title: 'bench',
    amount: 1000,
    currency: 'USD',
    payer: { userId: 'u' },
    successUrl: 'http://localhost/ok',
    cancelUrl: 'http://localhost/no',
  });
  const [, , completed] = await stripeFake.completeCheckout(session.providerCheckoutId);
  const { redirectUrl } = await wompi.createCheckout({ ...{ paymentId: 'bench-2', purpose: { kind: 'package', key: 'p' }, title: 'b', amount: 1_000_000, currency: 'COP', payer: { userId: 'u' }, successUrl: 'http://localhost/ok', cancelUrl: 'http://localhost/no' } });
  const tx = await wompiFake.pay(redirectUrl, { status: 'APPROVED' });

  // Signed once with a timestamp inside the tolerance for the whole run.
  const s = stripeFake.signed(completed);
  const w = wompiFake.signed(wompiFake.lastEvent(tx.id as string)!);
  const stripeReq = { rawBody: s.rawBody, headers: s.headers, query: {} };
  const wompiReq = { rawBody: w.rawBody, headers: w.headers, query: {} };

  const results = await compare(
    [
      {
        name: 'floor: HMAC-SHA256 + JSON.parse (Stripe)',
        run: () =>
          rate(() => {
            const header = s.headers['stripe-signature'];
            const t = header.slice(2, header.indexOf(','));
            createHmac('sha256', stripeFake.webhookSecret).update(`${t}.`).update(s.rawBody).digest('hex');
            return JSON.parse(s.rawBody.toString());
          }),
      },
      { name: 'Stripe adapter verifyWebhook', run: () => rate(() => stripe.verifyWebhook(stripeReq)) },
      {
        name: 'floor: JSON.parse + SHA-256 (Wompi)',
        run: () =>
          rate(() => {
            const e = JSON.parse(w.rawBody.toString());
            const t = e.data.transaction;
            return createHash('sha256').update(`${t.id}${t.status}${t.amount_in_cents}${e.timestamp}${wompiFake.eventsSecret}`).digest('hex');
          }),
      },
      { name: 'Wompi adapter verifyWebhook', run: () => rate(() => wompi.verifyWebhook(wompiReq)) },
      {
        name: 'floor: HMAC-SHA256 of the manifest + JSON.parse (Mercado Pago)',
        run: () =>
          rate(() => {
            const [ts, v1] = m.headers['x-signature'].split(',').map((p) => p.slice(p.indexOf('=') + 1));
            const ok = createHmac('sha256', mpFake.webhookSecret).update(`id:${m.query['data.id']};request-id:${m.headers['x-request-id']};ts:${ts};`).digest('hex') === v1;
            return ok && JSON.parse(m.rawBody.toString());
          }),
      },
      { name: 'Mercado Pago adapter verifyWebhook', run: () => rate(() => mp.verifyWebhook(mpReq)) },
    ],
    rounds,
  );
  printTable(`Webhook verification (median of ${rounds} rounds x ${windowMs} ms, one process)`, results, 'floor: HMAC-SHA256 + JSON.parse (Stripe)', 'verifications/s');
  const ratio = (a: string, b: string) => ((results.get(a)!.rate / results.get(b)!.rate) * 100).toFixed(1);
  console.log(`\nStripe adapter / its floor: ${ratio('Stripe adapter verifyWebhook', 'floor: HMAC-SHA256 + JSON.parse (Stripe)')}%`);
  console.log(`Wompi adapter / its floor: ${ratio('Wompi adapter verifyWebhook', 'floor: JSON.parse + SHA-256 (Wompi)')}%`);
  console.log(`Mercado Pago adapter / its floor: ${ratio('Mercado Pago adapter verifyWebhook', 'floor: HMAC-SHA256 of the manifest + JSON.parse (Mercado Pago)')}%  (target >= 50% each)`);
} finally {
  await stripeFake.close();
  await wompiFake.close();
  await mpFake.close();
}
