import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../../testing/app.js';
import { runCron } from '../../../../testing/cron.js';
import { recordEvents, type EventRecorder } from '../../../../testing/events.js';
import { targets } from '../../../../testing/targets.js';
import { admin, balanceOf, paymentOf, paymentsTestApp, user, webhooksProcessed } from '../stripe/test-app.js';
import { FakeWompi } from './fake-server.js';

// A credit pack bought through Wompi, end to end: checkout route → fake Web Checkout (integrity
// signature checked) → checksummed transaction.updated events → inbox → job → wallet.

describe.each(targets)('Wompi credit-pack purchase on %s', (target) => {
  let wompi: FakeWompi;
  let t: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    wompi = await FakeWompi.start();
    t = await paymentsTestApp(target, { wompi });
    events = recordEvents(t);
  });
  afterAll(async () => {
    await t?.close();
    await wompi?.close();
  });

  async function buy(userId: string): Promise<{ paymentId: string; redirectUrl: string }> {
    const res = await t.app.inject({ method: 'POST', url: '/v1/payments/checkout', headers: { ...user(userId), 'idempotency-key': `buy-${userId}` }, payload: { provider: 'wompi', package: 'pack-cop' } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    const q = new URL(body.redirectUrl).searchParams;
    expect([q.get('reference'), q.get('amount-in-cents'), q.get('currency')]).toEqual([body.paymentId, '2990000', 'COP']);
    return body;
  }

  it('credits once under replays, parallel deliveries, a declined attempt delivered late and bad checksums', async () => {
    const { paymentId, redirectUrl } = await buy('ana');
    wompi.autoDeliver = false;
    const declined = await wompi.pay(redirectUrl, { status: 'DECLINED' });
    const approved = await wompi.pay(redirectUrl, { status: 'APPROVED' });
    wompi.autoDeliver = true;
    const approvedEvent = wompi.lastEvent(approved.id as string)!;
    const declinedEvent = wompi.lastEvent(declined.id as string)!;

    for (const tamper of ['secret', 'body', 'checksum', 'header', 'stale'] as const) {
      const res = (await wompi.deliver(approvedEvent, tamper)) as { statusCode: number; json(): { code: string } };
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('webhook_signature_invalid');
    }
    expect((await paymentOf(t, 'ana', paymentId)).status).toBe('pending');

    // The approval 20 times at once, the same approval re-signed later (another event id), and
    // the earlier declined attempt arriving last.
    const answers = (await Promise.all(Array.from({ length: 20 }, () => wompi.deliver(approvedEvent)))) as Array<{ statusCode: number; json(): { duplicate: boolean } }>;
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(answers.filter((a) => !a.json().duplicate)).toHaveLength(1);
    await wompi.deliver(wompi.event(approved, approvedEvent.timestamp + 60));
    await wompi.deliver(declinedEvent);
    await webhooksProcessed(t);

    expect(await balanceOf(t, 'ana')).toMatchObject({ balance: 250 });
    expect(await paymentOf(t, 'ana', paymentId)).toMatchObject({ status: 'approved', provider: 'wompi' });
    expect(events.payloads('payment.succeeded').filter((e) => e.paymentId === paymentId)).toHaveLength(1);
    expect(events.payloads('payment.failed').filter((e) => e.paymentId === paymentId)).toHaveLength(0);
  });

  it('an admin refund voids the card payment and claws the credits back once', async () => {
    const { paymentId, redirectUrl } = await buy('bea');
    const tx = await wompi.pay(redirectUrl, { status: 'APPROVED' });
    await webhooksProcessed(t);
    expect(await balanceOf(t, 'bea')).toMatchObject({ balance: 250 });

    const res = await t.app.inject({ method: 'POST', url: `/v1/admin/payments/${paymentId}/refund`, headers: { ...admin, 'idempotency-key': `refund-${paymentId}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ payment: { status: 'refunded' }, refund: { providerRefundId: `void:${tx.id as string}`, status: 'succeeded' } });
    const voided = wompi.lastEvent(tx.id as string)!;
    expect(voided.data.transaction.status).toBe('VOIDED');
    await Promise.all(Array.from({ length: 5 }, () => wompi.deliver(voided)));
    await webhooksProcessed(t);
    expect(await balanceOf(t, 'bea')).toMatchObject({ balance: 0 });
    expect(events.payloads('payment.refunded').filter((e) => e.paymentId === paymentId)).toHaveLength(1);
  });

  it('reconciliation credits a payment whose event never came, by its reference', async () => {
    const { paymentId, redirectUrl } = await buy('eva');
    wompi.autoDeliver = false;
    await wompi.pay(redirectUrl, { status: 'DECLINED' });
    const tx = await wompi.pay(redirectUrl, { status: 'APPROVED' });
    wompi.autoDeliver = true;
    await runCron(t, 'payments.reconcile');
    expect(await paymentOf(t, 'eva', paymentId)).toMatchObject({ status: 'approved' });
    expect(await balanceOf(t, 'eva')).toMatchObject({ balance: 250 });
    await wompi.deliver(wompi.lastEvent(tx.id as string)!);
    await webhooksProcessed(t);
    expect(await balanceOf(t, 'eva')).toMatchObject({ balance: 250 });
    expect(events.payloads('payment.failed').filter((e) => e.paymentId === paymentId)).toHaveLength(0);
  });

  it('a PSE payment cannot be refunded through the API: a clear refusal, credits kept', async () => {
    const { paymentId, redirectUrl } = await buy('cai');
    await wompi.pay(redirectUrl, { status: 'APPROVED', method: 'PSE' });
    await webhooksProcessed(t);
    const res = await t.app.inject({ method: 'POST', url: `/v1/admin/payments/${paymentId}/refund`, headers: admin });
    expect(res.statusCode).toBe(502);
    expect(res.json().code).toBe('payment_provider_refused');
    expect(await balanceOf(t, 'cai')).toMatchObject({ balance: 250 });
    expect((await paymentOf(t, 'cai', paymentId)).status).toBe('approved');
  });
});
