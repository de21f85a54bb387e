import type { Logger } from 'pino';
import { forUpdate } from '../../core/db/dialect.js';
import type { Dialect } from '../../core/db/database.js';
import type { ProviderName, ProviderPayment } from './providers/contract.js';
import type { PaymentEvent } from './events.js';
import { nextStatus, num } from './model.js';
import type { WalletPort } from './ports.js';
import type { PaymentRow, PaymentsTrx, PaymentStatus } from './schema.js';

export type ApplyCause = 'webhook' | 'reconciliation' | 'admin_refund';

export interface ApplyInput {
  provider: ProviderName;
  payment: ProviderPayment;
  cause: ApplyCause;
  eventId?: string | null;
  /**
   * Set when a live subscription (trialing/active) approves the plan checkout that started it.
   * Only a plan payment moves this way; with `trial` nothing was charged, so the amount check
   * does not apply and the events carry what was charged (0) instead of the plan's price.
   */
  subscriptionStart?: { trial: boolean };
}

export interface ApplyResult {
  /** applied: the status moved; unchanged: nothing to do (replay, stale, same state); unknown_payment: not ours; mismatch: refused. */
  outcome: 'applied' | 'unchanged' | 'unknown_payment' | 'mismatch';
  paymentId?: string;
  from?: PaymentStatus;
  to?: PaymentStatus;
}

export interface ApplyDeps {
  dialect: Dialect;
  log: Logger;
  wallet: () => WalletPort | undefined;
}

/** The wallet grant's source: one grant per provider payment, whatever brings it. */
export const grantSource = (provider: ProviderName, providerPaymentId: string) => `payment:${provider}:${providerPaymentId}`;

/**
 * Applies the provider's view of one payment inside the caller's transaction: the status change,
 * its history line, and its effects (wallet credit or claw-back, domain event). Each effect is
 * recorded in payment_effects under (provider, provider payment id, effect) before it runs, in
 * this same transaction: a second delivery of the same fact — a replay, another event id, a
 * reconciliation, 50 at once — finds the row and does nothing. On PostgreSQL the payment row is
 * locked first, so concurrent deliveries queue on it instead of racing.
 */
export async function applyProviderPayment(trx: PaymentsTrx, deps: ApplyDeps, input: ApplyInput): Promise<ApplyResult> {
  const { provider, payment: pp } = input;
  const row = await findPayment(trx, deps.dialect, provider, pp);
  if (!row) return { outcome: 'unknown_payment' };
  const start = input.subscriptionStart;
  if (start && row.purpose_kind !== 'plan') return { outcome: 'unchanged', paymentId: row.id, from: row.status };
  const trial = start?.trial === true;

  if (pp.status === 'approved' && (pp.currency.toUpperCase() !== row.currency || (!trial && pp.amount < Number(row.amount)))) {
    // Never credit what was not paid in full: a preference tampered with, or another product's payment carrying our id.
    deps.log.error({ paymentId: row.id, provider, providerPaymentId: pp.providerPaymentId, paid: pp.amount, currency: pp.currency, expected: Number(row.amount) }, 'payment amount or currency differs from the checkout: not applied');
    return { outcome: 'mismatch', paymentId: row.id };
  }

  const to = nextStatus(row.status, row.provider_payment_id, pp.providerPaymentId, pp.status);
  const now = new Date().toISOString();
  if (!to) {
    // Remember the first attempt's id even while pending: reconciliation can then fetch it directly.
    if (row.provider_payment_id === null && pp.status === 'pending') {
      await trx.updateTable('payments').set({ provider_payment_id: pp.providerPaymentId, provider_status: pp.providerStatus ?? pp.status, updated_at: now }).where('id', '=', row.id).execute();
    }
    return { outcome: 'unchanged', paymentId: row.id, from: row.status };
  }

  // A refund names the approved payment; other transitions adopt the attempt that decided them.
  const pid = pp.providerPaymentId;
  await trx
    .updateTable('payments')
    .set({ status: to, provider_payment_id: pid, provider_status: pp.providerStatus ?? pp.status, updated_at: now })
    .where('id', '=', row.id)
    .execute();
  await trx
    .insertInto('payment_history')
    .values({ payment_id: row.id, from_status: row.status, to_status: to, cause: input.cause, provider_payment_id: pid, provider_status: pp.providerStatus ?? pp.status, event_id: input.eventId ?? null, created_at: now })
    .execute();

  const event: PaymentEvent = {
    paymentId: row.id,
    provider,
    userId: row.user_id,
    tenantId: row.tenant_id,
    purpose: { kind: row.purpose_kind, key: row.purpose_key },
    amount: trial ? pp.amount : Number(row.amount),
    currency: row.currency,
    providerPaymentId: pid,
  };
  if (to === 'approved' && (await claimEffect(trx, provider, pid, 'succeeded', row.id, now))) {
    const credits = num(row.credits);
    if (row.purpose_kind === 'package' && credits) {
      const wallet = deps.wallet();
      // Throwing rolls the status back: the job retries rather than losing the credits.
      if (!wallet) throw new Error('payments: the wallet module is off, credits cannot be granted');
      await wallet.grant(
        { userId: row.user_id },
        { amount: credits, kind: 'paid', source: grantSource(provider, pid), reason: `payment ${row.purpose_key}`, metadata: { paymentId: row.id, provider, providerPaymentId: pid } },
      );
    }
    trx.emit('payment.succeeded', event);
  } else if (to === 'rejected' && (await claimEffect(trx, provider, pid, 'failed', row.id, now))) {
    trx.emit('payment.failed', event);
  } else if ((to === 'refunded' || to === 'charged_back') && (await claimEffect(trx, provider, pid, 'reversed', row.id, now))) {
    if (await hasEffect(trx, provider, pid, 'succeeded')) {
      if (row.purpose_kind === 'package' && num(row.credits)) {
        const wallet = deps.wallet();
        if (!wallet) throw new Error('payments: the wallet module is off, credits cannot be clawed back');
        const r = await wallet.reverse(grantSource(provider, pid), { reason: to === 'refunded' ? 'refund' : 'chargeback' });
        if (r.debt > 0) deps.log.warn({ paymentId: row.id, debt: r.debt }, 'refunded credits were already spent: the wallet records a debt');
      }
      trx.emit('payment.refunded', { ...event, reason: to === 'refunded' ? 'refund' : 'chargeback' });
    }
  }
  return { outcome: 'applied', paymentId: row.id, from: row.status, to };
}

async function findPayment(trx: PaymentsTrx, dialect: Dialect, provider: ProviderName, pp: ProviderPayment): Promise<PaymentRow | undefined> {
  const base = () => trx.selectFrom('payments').selectAll().where('provider', '=', provider).$call(forUpdate(dialect));
  if (pp.reference) {
    const byRef = await base().where('id', '=', pp.reference).executeTakeFirst();
    if (byRef) return byRef;
  }
  return base().where('provider_payment_id', '=', pp.providerPaymentId).executeTakeFirst();
}

/** Records an effect; false when it was already done (by this or any earlier transaction). */
async function claimEffect(trx: PaymentsTrx, provider: ProviderName, objectId: string, effect: string, paymentId: string, now: string): Promise<boolean> {
  const r = await trx
    .insertInto('payment_effects')
    .values({ provider, object_id: objectId, effect, payment_id: paymentId, created_at: now })
    .onConflict((oc) => oc.columns(['provider', 'object_id', 'effect']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

async function hasEffect(trx: PaymentsTrx, provider: ProviderName, objectId: string, effect: string): Promise<boolean> {
  const r = await trx.selectFrom('payment_effects').select('effect').where('provider', '=', provider).where('object_id', '=', objectId).where('effect', '=', effect).executeTakeFirst();
  return r !== undefined;
}
