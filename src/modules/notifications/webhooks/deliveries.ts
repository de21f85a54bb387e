import { toIso, toIsoOrNull, typedDb, typedTrx } from '../../../core/db/dialect.js';
import { paginate, type PageResult } from '../../../core/db/paginate.js';
import { conflict, notFound } from '../../../core/http/problem.js';
import { newId } from '../../../core/ids.js';
import type { ModuleContext } from '../../../core/module.js';
import type { NotificationsConfig } from '../config.js';
import { backoffDelay } from '../deliveries.js';
import type { Endpoints } from './endpoints.js';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookDeliveryStatus, WebhookTables, WebhookTrx } from './schema.js';
import { signedHeaders } from './sign.js';
import { post } from './ssrf.js';

export const WEBHOOK_JOB = 'notifications.webhook-deliver';

const clip = (s: string | null | undefined, n = 500) => (s ? s.slice(0, n) : null);

export interface WebhookDeliveryView {
  id: string;
  messageId: string;
  endpointId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookAttemptView {
  attempt: number;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  at: string;
}

const toView = (r: WebhookDeliveryRow): WebhookDeliveryView => ({
  id: r.id,
  messageId: r.message_id,
  endpointId: r.endpoint_id,
  eventType: r.event_type,
  status: r.status,
  attempts: r.attempts,
  nextAt: toIsoOrNull(r.next_at),
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  createdAt: toIso(r.created_at),
  updatedAt: toIso(r.updated_at),
});

const attemptView = (a: WebhookAttemptRow): WebhookAttemptView => ({
  attempt: a.attempt,
  statusCode: a.status_code,
  durationMs: a.duration_ms,
  responseBody: a.response_body,
  error: a.error,
  at: toIso(a.created_at),
});

/**
 * Messages to endpoints: one delivery per (message, endpoint), written with the job that sends
 * it; each try signed afresh (Standard Webhooks), logged with its status code, duration and the
 * start of the answer; retried with backoff and jitter; dead after `attempts`; the endpoint
 * switched off after `disableAfterFailures` failed tries in a row, or at once on 410 Gone.
 */
export class WebhookDeliveries {
  private readonly db;

  constructor(
    private readonly ctx: ModuleContext<NotificationsConfig>,
    private readonly endpoints: Endpoints,
  ) {
    this.db = typedDb<WebhookTables>(ctx);
  }

  private get cfg() {
    return this.ctx.config.webhooks;
  }

  /**
   * Queues one message for every enabled endpoint subscribed to its type (and, for a tenant's
   * message, that tenant's endpoints plus the app's own). Idempotent by message id: a redelivered
   * event adds nothing. Returns how many endpoints it went to.
   */
  async dispatch(eventType: string, data: Record<string, unknown>, messageId: string, tenantId: string | null): Promise<number> {
    if (!this.cfg.enabled) return 0;
    const endpoints = await this.db.selectFrom('notif_webhook_endpoints').selectAll().where('enabled', '=', 1).execute();
    const wanted = endpoints.filter((e) => (JSON.parse(e.event_types) as string[]).includes(eventType) && (e.tenant_id === null || e.tenant_id === tenantId));
    if (!wanted.length) return 0;
    const body = JSON.stringify({ type: eventType, timestamp: new Date().toISOString(), data });
    await this.ctx.tx(async (tx) => {
      const trx = typedTrx<WebhookTables>(tx) as WebhookTrx;
      const now = new Date().toISOString();
      for (const e of wanted) {
        const id = newId();
        const res = await trx
          .insertInto('notif_webhook_deliveries')
          .values({ id, message_id: messageId, endpoint_id: e.id, event_type: eventType, tenant_id: tenantId, body, status: 'pending', attempts: 0, next_at: null, last_status_code: null, last_error: null, created_at: now, updated_at: now })
          .onConflict((oc) => oc.columns(['message_id', 'endpoint_id']).doNothing())
          .executeTakeFirst();
        if (Number(res.numInsertedOrUpdatedRows)) trx.enqueue(WEBHOOK_JOB, { deliveryId: id, attempts: 0 }, { jobId: `whk-${id}-0`, attempts: 3 });
      }
    });
    return wanted.length;
  }

  /** The delivery job: one signed POST, its outcome recorded. */
  async run(deliveryId: string, attemptsSoFar: number): Promise<void> {
    const d = await this.db.selectFrom('notif_webhook_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
    // Gone (endpoint deleted), finished, or another run of this attempt got there first.
    if (!d || (d.status !== 'pending' && d.status !== 'retrying') || d.attempts !== attemptsSoFar) return;
    const endpoint = await this.db.selectFrom('notif_webhook_endpoints').selectAll().where('id', '=', d.endpoint_id).executeTakeFirst();
    if (!endpoint) return;
    if (endpoint.enabled !== 1) return this.finish(d, { status: null, body: '', error: `endpoint disabled: ${endpoint.disabled_reason ?? ''}`, durationMs: 0 }, true);
    const headers = signedHeaders(this.endpoints.signingSecrets(endpoint), d.message_id, d.body);
    const result = await post(endpoint.url, headers, d.body, { timeoutMs: this.cfg.timeoutMs, allowPrivate: this.endpoints.allowPrivate });
    await this.finish(d, result, false);
  }

  private async finish(d: WebhookDeliveryRow, r: { status: number | null; body: string; error: string | null; durationMs: number }, final: boolean): Promise<void> {
    const ok = r.status !== null && r.status >= 200 && r.status < 300;
    const attempts = d.attempts + 1;
    const gone = r.status === 410;
    let status: WebhookDeliveryStatus = ok ? 'succeeded' : 'retrying';
    let delayMs: number | null = null;
    if (!ok) {
      if (!final && !gone && attempts < this.cfg.attempts) delayMs = backoffDelay({ attempts: this.cfg.attempts, backoffMs: this.cfg.backoffMs, maxBackoffMs: this.cfg.maxBackoffMs }, attempts);
      else status = 'dead';
    }
    const error = r.error ?? (ok ? null : `HTTP ${r.status}`);
    const now = new Date();
    let disabled: { url: string; reason: string } | null = null;
    await this.ctx.tx(async (tx) => {
      const trx = typedTrx<WebhookTables>(tx) as WebhookTrx;
      const res = await trx
        .updateTable('notif_webhook_deliveries')
        .set({ status, attempts, next_at: delayMs === null ? null : new Date(now.getTime() + delayMs).toISOString(), last_status_code: r.status, last_error: clip(error), updated_at: now.toISOString() })
        .where('id', '=', d.id)
        .where('attempts', '=', d.attempts)
        .executeTakeFirst();
      if (!Number(res.numUpdatedRows)) return;
      await trx
        .insertInto('notif_webhook_attempts')
        .values({ delivery_id: d.id, attempt: attempts, status_code: r.status, duration_ms: r.durationMs, response_body: clip(r.body, 1024), error: clip(r.error), created_at: now.toISOString() } as never)
        .execute();
      if (delayMs !== null) trx.enqueue(WEBHOOK_JOB, { deliveryId: d.id, attempts }, { delayMs, jobId: `whk-${d.id}-${attempts}`, attempts: 3 });
      if (final) return;
      if (ok) {
        await trx.updateTable('notif_webhook_endpoints').set({ failures: 0 }).where('id', '=', d.endpoint_id).where('failures', '>', 0).execute();
        return;
      }
      // Failed tries in a row, counted in the database so every replica's failures add up.
      await trx.updateTable('notif_webhook_endpoints').set((eb) => ({ failures: eb('failures', '+', 1) })).where('id', '=', d.endpoint_id).execute();
      const e = await trx.selectFrom('notif_webhook_endpoints').select(['enabled', 'failures', 'url']).where('id', '=', d.endpoint_id).executeTakeFirst();
      if (!e || e.enabled !== 1) return;
      const reason = gone
        ? 'the endpoint answered 410 Gone'
        : e.failures >= this.cfg.disableAfterFailures
          ? `${e.failures} failed attempts in a row; last: ${error}`
          : null;
      if (!reason) return;
      await trx.updateTable('notif_webhook_endpoints').set({ enabled: 0, disabled_reason: clip(reason), disabled_at: now.toISOString(), updated_at: now.toISOString() }).where('id', '=', d.endpoint_id).execute();
      disabled = { url: e.url, reason };
    });
    if (disabled) await this.tellAdmins(d.endpoint_id, disabled, now);
  }

  /** An in-app (and email) notification to the admins: an endpoint was switched off. */
  private async tellAdmins(endpointId: string, what: { url: string; reason: string }, at: Date): Promise<void> {
    this.ctx.log.warn({ endpointId, reason: what.reason }, 'webhook endpoint disabled');
    try {
      await this.ctx.services.notifications.send({
        to: { segment: this.cfg.notifyAdminsSegment },
        type: 'webhook_disabled',
        data: { endpointId, url: what.url, reason: what.reason },
        key: `webhook-disabled:${endpointId}:${at.getTime()}`,
      });
    } catch (err) {
      this.ctx.log.error({ err, endpointId }, 'could not notify admins of a disabled webhook endpoint');
    }
  }

  async list(endpointId: string, q: { limit?: number; cursor?: string; status?: WebhookDeliveryStatus }): Promise<PageResult<WebhookDeliveryView>> {
    await this.endpoints.row(endpointId);
    let query = this.db.selectFrom('notif_webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId);
    if (q.status) query = query.where('status', '=', q.status);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['id'], key: (r) => [r.id] });
    return { data: page.data.map(toView), nextCursor: page.nextCursor };
  }

  async get(endpointId: string, id: string): Promise<WebhookDeliveryView & { body: unknown; attemptsLog: WebhookAttemptView[] }> {
    const d = await this.db.selectFrom('notif_webhook_deliveries').selectAll().where('id', '=', id).where('endpoint_id', '=', endpointId).executeTakeFirst();
    if (!d) throw notFound('webhook_delivery_not_found');
    const attempts = await this.db.selectFrom('notif_webhook_attempts').selectAll().where('delivery_id', '=', id).orderBy('id').execute();
    return { ...toView(d), body: JSON.parse(d.body), attemptsLog: attempts.map(attemptView) };
  }

  /**
   * Sends a delivery again now, whatever its state (a receiver that lost it, or a dead one after
   * a fix): same message id and body, so a receiver that already has it can tell. 409 while the
   * endpoint is disabled or the delivery is already queued.
   */
  async redeliver(endpointId: string, id: string): Promise<WebhookDeliveryView> {
    const endpoint = await this.endpoints.row(endpointId);
    if (endpoint.enabled !== 1) throw conflict('webhook_endpoint_disabled');
    await this.ctx.tx(async (tx) => {
      const trx = typedTrx<WebhookTables>(tx) as WebhookTrx;
      const d = await trx.selectFrom('notif_webhook_deliveries').selectAll().where('id', '=', id).where('endpoint_id', '=', endpointId).executeTakeFirst();
      if (!d) throw notFound('webhook_delivery_not_found');
      if (d.status === 'pending' || d.status === 'retrying') throw conflict('webhook_delivery_queued');
      await trx.updateTable('notif_webhook_deliveries').set({ status: 'pending', next_at: null, updated_at: new Date().toISOString() }).where('id', '=', id).execute();
      trx.enqueue(WEBHOOK_JOB, { deliveryId: id, attempts: d.attempts }, { jobId: `whk-${id}-${d.attempts}-r${Date.now()}`, attempts: 3 });
      await this.ctx.audit.record({ action: 'notifications.webhook_redelivered', target: { type: 'webhook_delivery', id }, after: { endpointId, messageId: d.message_id } }, tx);
    });
    const d = await this.db.selectFrom('notif_webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return toView(d);
  }
}
