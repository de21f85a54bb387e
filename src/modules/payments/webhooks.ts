import { typedDb, typedTrx } from '../../core/db/dialect.js';
import { problem } from '../../core/http/problem.js';
import type { ModuleContext } from '../../core/module.js';
import { applyProviderPayment, type ApplyDeps } from './apply.js';
import type { PaymentsConfig } from './config.js';
import type { SubscriptionChangedEvent } from './events.js';
import {
  ProviderError,
  WebhookSignatureError,
  type PaymentProvider,
  type ProviderName,
  type WebhookEvent,
  type WebhookRequest,
} from './providers/contract.js';
import type { PaymentTables, PaymentsTrx } from './schema.js';

export const PROCESS_JOB = 'payments.process-webhook';

/**
 * Verifies a webhook and stores it in the inbox, keyed by (provider, event id), with the job
 * that processes it, in one transaction; nothing else happens before the answer, so providers
 * get their 200 fast and never time out into a retry storm. A redelivered event id is stored
 * once. A bad signature stores nothing: 401.
 */
export async function receiveWebhook(
  ctx: ModuleContext<PaymentsConfig>,
  provider: PaymentProvider | undefined,
  name: string,
  req: WebhookRequest,
): Promise<{ stored: boolean; eventId: string }> {
  if (!provider) throw problem(404, 'webhook_provider_unknown', { params: { provider: name.slice(0, 40) } });
  let event: WebhookEvent;
  try {
    event = await provider.verifyWebhook(req);
  } catch (err) {
    if (err instanceof WebhookSignatureError) {
      ctx.log.warn({ provider: provider.name, reason: err.reason }, 'webhook refused: signature');
      throw problem(401, 'webhook_signature_invalid');
    }
    throw err;
  }
  const stored = await ctx.tx(async (t) => {
    const trx = typedTrx<PaymentTables>(t);
    const r = await trx
      .insertInto('payment_webhook_inbox')
      .values({ provider: provider.name, event_id: event.eventId, event: JSON.stringify(event), received_at: new Date().toISOString(), processed_at: null, outcome: null })
      .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
      .executeTakeFirst();
    const inserted = Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    // No jobId: the inbox insert already runs once per event, and a fixed id would make the
    // queue skip the job of an event stored again after the inbox pruned it.
    if (inserted) trx.enqueue(PROCESS_JOB, { provider: provider.name, eventId: event.eventId }, { attempts: 10, backoffMs: 5_000 });
    return inserted;
  });
  return { stored, eventId: event.eventId };
}

/**
 * The job behind each stored webhook. The payment's state is fetched from the provider when the
 * event only names it (Mercado Pago), outside the transaction; then its effects and the inbox's
 * processed mark commit together. Safe to run twice: effects are keyed by provider object.
 */
export async function processWebhook(
  ctx: ModuleContext<PaymentsConfig>,
  providers: Map<ProviderName, PaymentProvider>,
  deps: ApplyDeps,
  job: { provider: ProviderName; eventId: string },
): Promise<string> {
  const db = typedDb<PaymentTables>(ctx);
  const row = await db.selectFrom('payment_webhook_inbox').selectAll().where('provider', '=', job.provider).where('event_id', '=', job.eventId).executeTakeFirst();
  if (!row || row.processed_at) return row?.outcome ?? 'missing';
  const provider = providers.get(job.provider);
  if (!provider) throw new Error(`payments: webhook stored for ${job.provider}, which is no longer configured`);
  const event = JSON.parse(row.event) as WebhookEvent;

  let payment = event.payment;
  if (event.kind === 'payment' && !payment && event.providerPaymentId) {
    try {
      payment = await provider.fetchPayment(event.providerPaymentId);
    } catch (err) {
      // A payment the provider does not know (another integration's, deleted test data): nothing will change by retrying.
      if (err instanceof ProviderError && !err.retryable) return finish(ctx, job, 'fetch_refused', () => ctx.log.warn({ err, ...job }, 'webhook names a payment the provider refuses to show'));
      throw err;
    }
  }
  let outcome = 'ignored';
  await ctx.tx(async (t) => {
    const trx = typedTrx<PaymentTables>(t);
    const again = await trx.selectFrom('payment_webhook_inbox').select('processed_at').where('provider', '=', job.provider).where('event_id', '=', job.eventId).executeTakeFirst();
    if (again?.processed_at) return;
    if (event.kind === 'payment' && payment) {
      outcome = (await applyProviderPayment(trx, deps, { provider: job.provider, payment, cause: 'webhook', eventId: job.eventId })).outcome;
    } else if (event.kind === 'subscription' && event.subscription) {
      await approvePlanCheckout(trx, deps, job, event);
      outcome = await emitSubscription(trx, job.provider, event);
    }
    await markProcessed(trx, job, outcome);
  });
  return outcome;
}

async function finish(ctx: ModuleContext<PaymentsConfig>, job: { provider: ProviderName; eventId: string }, outcome: string, log: () => void): Promise<string> {
  log();
  await ctx.tx(async (t) => markProcessed(typedTrx<PaymentTables>(t), job, outcome));
  return outcome;
}

async function markProcessed(trx: PaymentsTrx, job: { provider: ProviderName; eventId: string }, outcome: string) {
  await trx
    .updateTable('payment_webhook_inbox')
    .set({ processed_at: new Date().toISOString(), outcome })
    .where('provider', '=', job.provider)
    .where('event_id', '=', job.eventId)
    .execute();
}

/**
 * A plan bought through a provider's subscription checkout (Stripe) is told as a subscription
 * event, never as a payment: once the subscription it started is live (trialing or active), our
 * checkout's payment is approved through the same state machine. The effect is keyed by the
 * provider subscription id, so the checkout's completion, the subscription's creation and its
 * first invoice — replayed, or all at once — approve it once. A trial charges nothing: the
 * amount is 0. An active subscription must name what it charged (checkout or invoice), else the
 * event waits for one that does.
 */
async function approvePlanCheckout(trx: PaymentsTrx, deps: ApplyDeps, job: { provider: ProviderName; eventId: string }, event: WebhookEvent): Promise<void> {
  const sub = event.subscription!;
  const reference = sub.reference ?? event.reference;
  if (!reference || (sub.status !== 'trialing' && sub.status !== 'active')) return;
  const trial = sub.status === 'trialing';
  if (!trial && sub.amountPaid === undefined) return;
  const row = await trx.selectFrom('payments').select(['currency']).where('id', '=', reference).where('provider', '=', job.provider).executeTakeFirst();
  if (!row) return;
  const r = await applyProviderPayment(trx, deps, {
    provider: job.provider,
    payment: {
      providerPaymentId: sub.providerSubscriptionId,
      reference,
      status: 'approved',
      providerStatus: `subscription_${sub.status}`,
      amount: sub.amountPaid ?? 0,
      currency: sub.currency ?? row.currency,
      raw: sub.raw,
    },
    cause: 'webhook',
    eventId: job.eventId,
    subscriptionStart: { trial },
  });
  if (r.outcome === 'mismatch') deps.log.warn({ paymentId: reference, providerSubscriptionId: sub.providerSubscriptionId }, 'subscription charged less than the plan checkout: payment left as it was');
}

/**
 * A subscription webhook becomes payment.subscription.changed (and trial_will_end), once per
 * provider event (the inbox's key). Owner and plan come from the subscription's metadata, or
 * else from the checkout that started it.
 */
async function emitSubscription(trx: PaymentsTrx, provider: ProviderName, event: WebhookEvent): Promise<string> {
  const sub = event.subscription!;
  let owner = sub.owner ?? {};
  let planKey = sub.planKey ?? null;
  const reference = sub.reference ?? event.reference;
  if ((!owner.userId && !owner.tenantId) || !planKey) {
    const origin = reference ? await trx.selectFrom('payments').select(['user_id', 'tenant_id', 'purpose_kind', 'purpose_key']).where('id', '=', reference).executeTakeFirst() : undefined;
    if (origin) {
      if (!owner.userId && !owner.tenantId) owner = { userId: origin.user_id, tenantId: origin.tenant_id };
      if (!planKey && origin.purpose_kind === 'plan') planKey = origin.purpose_key;
    }
  }
  const payload: SubscriptionChangedEvent = {
    provider,
    providerSubscriptionId: sub.providerSubscriptionId,
    planKey,
    owner,
    status: sub.status,
    cause: event.subscriptionEvent ?? 'updated',
    ...(sub.currentPeriodEnd ? { currentPeriodEnd: sub.currentPeriodEnd } : {}),
    ...(sub.trialEnd ? { trialEnd: sub.trialEnd } : {}),
    ...(sub.cancelAtPeriodEnd !== undefined ? { cancelAtPeriodEnd: sub.cancelAtPeriodEnd } : {}),
    ...(sub.customerId ? { customerId: sub.customerId } : {}),
    ...(reference ? { paymentId: reference } : {}),
  };
  // One order per subscription: plans sees its changes in the order the webhooks were processed.
  const key = `subscription:${provider}:${sub.providerSubscriptionId}`;
  trx.emit('payment.subscription.changed', payload, { key });
  if (event.subscriptionEvent === 'trial_will_end') trx.emit('payment.subscription.trial_will_end', payload, { key });
  return 'subscription';
}
