import type { Actor } from '../../core/http/access.js';
import type { IdempotencyClaim } from '../../core/http/idempotency.js';
import { problem } from '../../core/http/problem.js';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import { sql } from 'kysely';
import { timestampParam, toIso, typedDb, typedTrx } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import { applyProviderPayment, type ApplyDeps } from './apply.js';
import { startCheckout, type CheckoutAnswer, type CheckoutRequest } from './checkout.js';
import type { PaymentsConfig } from './config.js';
import { toPayment, type Payment } from './model.js';
import { ports } from './ports.js';
import { ProviderError, type PaymentProvider, type ProviderName, type WebhookRequest } from './providers/contract.js';
import { buildProviders } from './providers/registry.js';
import { reconcile, type ReconcileReport } from './reconcile.js';
import type { PaymentStatus, PaymentTables } from './schema.js';
import { processWebhook, receiveWebhook } from './webhooks.js';

export interface HistoryEntry {
  from: PaymentStatus | null;
  to: PaymentStatus;
  cause: string;
  providerPaymentId: string | null;
  providerStatus: string | null;
  eventId: string | null;
  at: string;
}

export interface AdminPayment extends Payment {
  userId: string;
  tenantId: string | null;
  providerCheckoutId: string | null;
  providerStatus: string | null;
}

export interface AdminListQuery {
  limit?: number;
  cursor?: string;
  status?: PaymentStatus;
  provider?: ProviderName;
  userId?: string;
}

/** Payments' public service (`ctx.services.payments`): no HTTP in here. */
export class PaymentsService {
  /** The configured adapters, by name. */
  readonly providers: Map<ProviderName, PaymentProvider>;
  private readonly deps: ApplyDeps;

  constructor(private readonly ctx: ModuleContext<PaymentsConfig>) {
    this.providers = buildProviders(ctx.config, {
      publicUrl: ctx.appConfig.server.publicUrl,
      env: ctx.appConfig.env,
      timeoutMs: ctx.config.providerTimeoutMs,
      webhookToleranceSeconds: ctx.config.webhookToleranceSeconds,
      log: ctx.log,
    });
    this.deps = { dialect: ctx.dialect, log: ctx.log, wallet: () => ports(ctx.services).wallet };
  }

  provider(name: ProviderName): PaymentProvider | undefined {
    return this.providers.get(name);
  }

  /** Starts a checkout for a credit package or a plan: `{ paymentId, redirectUrl }`. */
  checkout(req: CheckoutRequest): Promise<CheckoutAnswer> {
    return startCheckout(this.ctx, this.providers.get(req.provider), req);
  }

  /** The caller's payments, newest first. */
  async listMine(actor: Actor, q: { limit?: number; cursor?: string }): Promise<PageResult<Payment>> {
    const query = typedDb<PaymentTables>(this.ctx).selectFrom('payments').selectAll().where('user_id', '=', actor.id);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['created_at', 'id'], key: (r) => [toIso(r.created_at), r.id] });
    return { data: page.data.map(toPayment), nextCursor: page.nextCursor };
  }

  /** One of the caller's payments (the return page polls it); 404 for anyone else's. */
  async getMine(actor: Actor, id: string): Promise<Payment> {
    const row = await typedDb<PaymentTables>(this.ctx).selectFrom('payments').selectAll().where('id', '=', id).where('user_id', '=', actor.id).executeTakeFirst();
    if (!row) throw problem(404, 'payment_not_found');
    return toPayment(row);
  }

  receiveWebhook(name: string, req: WebhookRequest) {
    return receiveWebhook(this.ctx, this.providers.get(name as ProviderName), name, req);
  }

  processWebhook(job: { provider: ProviderName; eventId: string }): Promise<string> {
    return processWebhook(this.ctx, this.providers, this.deps, job);
  }

  /**
   * Forgets processed webhooks older than `days`. The inbox only spares a redelivered event its
   * job; exactly-once rests on payment_effects, which is kept, so an old event arriving again
   * is processed and changes nothing.
   */
  async pruneInbox(days = 30): Promise<number> {
    const before = new Date(Date.now() - days * 86_400_000).toISOString();
    const r = await typedDb<PaymentTables>(this.ctx)
      .deleteFrom('payment_webhook_inbox')
      .where('processed_at', 'is not', null)
      .where(sql<boolean>`received_at < ${timestampParam(this.ctx.dialect, before)}`)
      .executeTakeFirst();
    return Number(r.numDeletedRows ?? 0);
  }

  reconcile(opts: { now?: Date } = {}): Promise<ReconcileReport> {
    return reconcile(this.ctx, this.providers, this.deps, opts);
  }

  async adminList(q: AdminListQuery): Promise<PageResult<AdminPayment>> {
    let query = typedDb<PaymentTables>(this.ctx).selectFrom('payments').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    if (q.provider) query = query.where('provider', '=', q.provider);
    if (q.userId) query = query.where('user_id', '=', q.userId);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['created_at', 'id'], key: (r) => [toIso(r.created_at), r.id] });
    return {
      data: page.data.map((r) => ({ ...toPayment(r), userId: r.user_id, tenantId: r.tenant_id, providerCheckoutId: r.provider_checkout_id, providerStatus: r.provider_status })),
      nextCursor: page.nextCursor,
    };
  }

  async adminGet(id: string): Promise<AdminPayment & { history: HistoryEntry[] }> {
    const db = typedDb<PaymentTables>(this.ctx);
    const r = await db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw problem(404, 'payment_not_found');
    const history = await db.selectFrom('payment_history').selectAll().where('payment_id', '=', id).orderBy('id', 'asc').execute();
    return {
      ...toPayment(r),
      userId: r.user_id,
      tenantId: r.tenant_id,
      providerCheckoutId: r.provider_checkout_id,
      providerStatus: r.provider_status,
      history: history.map((h) => ({
        from: h.from_status,
        to: h.to_status,
        cause: h.cause,
        providerPaymentId: h.provider_payment_id,
        providerStatus: h.provider_status,
        eventId: h.event_id,
        at: toIso(h.created_at),
      })),
    };
  }

  /**
   * Refunds an approved payment in full at its provider. When the provider confirms at once the
   * payment becomes `refunded` here and now (credits clawed back, payment.refunded); a pending
   * refund is finished by the provider's webhook. Either way the effect happens once.
   */
  async refund(id: string, opts: { idempotency?: IdempotencyClaim } = {}): Promise<{ payment: Payment; refund: { providerRefundId: string; status: string } }> {
    const db = typedDb<PaymentTables>(this.ctx);
    const row = await db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw problem(404, 'payment_not_found');
    if (row.status !== 'approved' || !row.provider_payment_id) throw problem(409, 'payment_not_refundable', { params: { status: row.status } });
    const provider = this.providers.get(row.provider);
    if (!provider) throw problem(422, 'payment_provider_not_configured', { params: { provider: row.provider } });
    let refund;
    try {
      refund = await provider.refund(row.provider_payment_id);
    } catch (err) {
      this.ctx.log.warn({ err, paymentId: id }, 'refund failed at the provider');
      const refused = err instanceof ProviderError && !err.retryable;
      throw problem(502, refused ? 'payment_provider_refused' : 'payment_provider_unavailable', { params: { provider: row.provider } });
    }
    if (refund.status === 'failed') throw problem(502, 'payment_provider_refused', { params: { provider: row.provider } });
    const pid = row.provider_payment_id;
    return this.ctx.tx(async (t) => {
      const trx = typedTrx<PaymentTables>(t);
      if (refund.status === 'succeeded') {
        await applyProviderPayment(trx, this.deps, {
          provider: row.provider,
          payment: { providerPaymentId: pid, reference: row.id, status: 'refunded', amount: Number(row.amount), currency: row.currency, providerStatus: 'refunded', raw: refund },
          cause: 'admin_refund',
        });
      }
      const after = await trx.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const body = { payment: toPayment(after), refund: { providerRefundId: refund.providerRefundId, status: refund.status } };
      await opts.idempotency?.saveIn(t, 200, body);
      return body;
    });
  }
}
