import { sql } from 'kysely';
import { timestampParam, toIso, typedDb, typedTrx } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import { applyProviderPayment, type ApplyDeps } from './apply.js';
import type { PaymentsConfig } from './config.js';
import type { PaymentProvider, ProviderName, ProviderPayment } from './providers/contract.js';
import type { PaymentRow, PaymentTables } from './schema.js';

export interface Correction {
  paymentId: string;
  provider: ProviderName;
  from: string;
  to: string;
  providerPaymentId: string;
}

export interface ReconcileReport {
  checked: number;
  corrected: Correction[];
  errors: number;
}

/** Of several attempts under one reference, the one that decides: a final state, then approved, then pending, then rejected. */
const WEIGHT: Record<ProviderPayment['status'], number> = { refunded: 4, charged_back: 4, approved: 3, pending: 2, rejected: 1 };

/**
 * Asks each provider about recent payments that are still pending or rejected (a rejected
 * checkout may yet be paid with another card) and applies what webhooks missed: a provider's
 * retry window is finite (Wompi: 3 tries in 24 h), a server may have been down through it.
 * Younger payments are left to their webhook; older ones were abandoned. Every correction is
 * logged and kept in the payment's history with cause `reconciliation`.
 */
export async function reconcile(
  ctx: ModuleContext<PaymentsConfig>,
  providers: Map<ProviderName, PaymentProvider>,
  deps: ApplyDeps,
  opts: { now?: Date } = {},
): Promise<ReconcileReport> {
  const cfg = ctx.config.reconciliation;
  const now = (opts.now ?? new Date()).getTime();
  const newest = new Date(now - cfg.minAgeMinutes * 60_000).toISOString();
  const oldest = new Date(now - cfg.maxAgeHours * 3_600_000).toISOString();
  const names = [...providers.keys()];
  const report: ReconcileReport = { checked: 0, corrected: [], errors: 0 };
  if (!names.length) return report;
  const rows = await typedDb<PaymentTables>(ctx)
    .selectFrom('payments')
    .selectAll()
    .where('status', 'in', ['pending', 'rejected'])
    .where('provider', 'in', names)
    .where(sql<boolean>`created_at <= ${timestampParam(ctx.dialect, newest)}`)
    .where(sql<boolean>`created_at >= ${timestampParam(ctx.dialect, oldest)}`)
    // A checkout whose preference was never created has nothing to ask about.
    .where('provider_checkout_id', 'is not', null)
    .orderBy('created_at', 'asc')
    .limit(cfg.batchSize)
    .execute();

  for (const row of rows) {
    report.checked++;
    try {
      const pp = await decidingAttempt(providers.get(row.provider)!, row);
      if (pp) {
        const r = await ctx.tx((t) => applyProviderPayment(typedTrx<PaymentTables>(t), deps, { provider: row.provider, payment: pp, cause: 'reconciliation' }));
        if (r.outcome === 'applied') {
          const c: Correction = { paymentId: row.id, provider: row.provider, from: r.from!, to: r.to!, providerPaymentId: pp.providerPaymentId };
          report.corrected.push(c);
          ctx.log.warn({ ...c, createdAt: toIso(row.created_at) }, 'reconciliation corrected a payment its webhooks had not updated');
        }
      }
    } catch (err) {
      report.errors++;
      ctx.log.warn({ err, paymentId: row.id, provider: row.provider }, 'reconciliation could not check a payment');
    }
  }
  if (report.checked) ctx.log.info({ checked: report.checked, corrected: report.corrected.length, errors: report.errors }, 'payments reconciled');
  return report;
}

/**
 * The provider's attempt that decides this checkout (only that one is applied: an earlier
 * declined card must not emit payment.failed for a checkout that was then paid).
 */
async function decidingAttempt(provider: PaymentProvider, row: PaymentRow): Promise<ProviderPayment | undefined> {
  const found = new Map<string, ProviderPayment>();
  if (provider.findPaymentsByReference) for (const p of await provider.findPaymentsByReference(row.id)) found.set(p.providerPaymentId, p);
  if (row.provider_payment_id && !found.has(row.provider_payment_id)) found.set(row.provider_payment_id, await provider.fetchPayment(row.provider_payment_id));
  // Only what names this payment: a search may be fuzzy.
  const mine = [...found.values()].filter((p) => p.reference === null || p.reference === row.id);
  return mine.sort((a, b) => WEIGHT[b.status] - WEIGHT[a.status])[0];
}
