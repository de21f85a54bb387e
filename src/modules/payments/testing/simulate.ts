import { typedDb } from '../../../core/db/dialect.js';
import type { App, KernelContext } from '../../../core/module.js';
import type { FakeMercadoPago, MpStatus } from '../providers/mercadopago/fake-server.js';
import type { PaymentTables } from '../schema.js';
import { injectMercadoPago } from './index.js';

export interface SimulateOptions {
  /** The app with the payments module pointed at `fake` (mercadopago section = fake.config). */
  app: { server: App; ctx: KernelContext };
  fake: FakeMercadoPago;
  userId: string;
  package?: string;
  plan?: string;
  /** What the payer's card does. */
  status?: MpStatus;
  /** Deliver the notification this many more times (Mercado Pago retries until it gets a 200). */
  replays?: number;
  /** Also send a delivery with a forged signature (answered 401, changing nothing). */
  forged?: boolean;
  print?: (line: string) => void;
  /** Longest wait for the webhook's job, in ms. */
  timeoutMs?: number;
}

export interface SimulateResult {
  paymentId: string;
  redirectUrl: string;
  providerPaymentId: string;
  status: string;
  webhookAnswers: number[];
  balance: number | null;
}

/**
 * A whole purchase against the local fake Mercado Pago, through the same code paths as
 * production: checkout (preference created at the fake), the payer pays, the fake posts its
 * signed notification to /v1/webhooks/mercadopago, the job fetches the payment and applies it.
 * Used by `neptuno payments simulate` and its test.
 */
export async function simulatePurchase(o: SimulateOptions): Promise<SimulateResult> {
  const print = o.print ?? (() => {});
  const { ctx, server } = o.app;
  const answers: number[] = [];
  const inject = injectMercadoPago(server);
  o.fake.onWebhook(async (d) => {
    const r = await inject(d);
    answers.push(r.statusCode);
    print(`  webhook ${d.query.type} data.id=${d.query['data.id']} -> ${r.statusCode} ${r.body}`);
    return r;
  });
  const locale = ctx.i18n.defaultLocale;
  const actor = { type: 'user' as const, id: o.userId, role: 'user', tenantId: null, via: 'cli' };
  const { paymentId, redirectUrl } = await ctx.services.payments.checkout({ actor, provider: 'mercadopago', package: o.package, plan: o.plan, locale });
  print(`checkout: payment ${paymentId}, payer sent to ${redirectUrl}`);
  const mp = await o.fake.pay(redirectUrl, { status: o.status ?? 'approved' });
  print(`payer paid: Mercado Pago payment ${mp.id} ${mp.status} (${mp.transaction_amount} ${mp.currency_id})`);
  const note = o.fake.lastNotification(mp.id)!;
  for (let i = 0; i < (o.replays ?? 0); i++) await o.fake.deliver(note);
  if (o.forged) await o.fake.deliver(note, 'secret');

  const db = typedDb<PaymentTables>(ctx);
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  for (;;) {
    const pending = await db.selectFrom('payment_webhook_inbox').select('event_id').where('provider', '=', 'mercadopago').where('processed_at', 'is', null).execute();
    if (!pending.length) break;
    if (Date.now() > deadline) throw new Error('the webhook was stored but its job did not run (is jobs.concurrency 0?)');
    await new Promise((r) => setTimeout(r, 50));
  }
  await ctx.outbox.settled();
  const row = await db.selectFrom('payments').select(['status']).where('id', '=', paymentId).executeTakeFirstOrThrow();
  const wallet = (ctx.services as unknown as { wallet?: { balance(o: { userId: string }): Promise<{ balance: number }> } }).wallet;
  const balance = wallet ? (await wallet.balance({ userId: o.userId })).balance : null;
  print(`payment ${paymentId}: ${row.status}${balance === null ? '' : `; wallet balance ${balance} credits`}`);
  return { paymentId, redirectUrl, providerPaymentId: String(mp.id), status: row.status, webhookAnswers: answers, balance };
}
