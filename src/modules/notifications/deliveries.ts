import { randomInt } from 'node:crypto';
import type { Counter } from 'prom-client';
import { typedDb, typedTrx } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import type { ChannelContext, ChannelResult, ChannelRetryPolicy, Delivery } from './channels/contract.js';
import type { ChannelRegistry } from './channels/registry.js';
import type { NotificationsConfig } from './config.js';
import { deliveryCounter } from './metrics.js';
import { describeRecipient } from './recipients.js';
import { unseal } from './sealed.js';
import type { DeliveryRow, DeliveryStatus, NotifTrx, NotificationTables } from './schema.js';
import type { TypeRegistry } from './types.js';
import type { UnsubscribeLinks } from './unsubscribe.js';

export const DELIVER_JOB = 'notifications.deliver';

/** Statuses a deliver job may act on; anything else is final (or someone else's turn). */
const RUNNABLE = new Set<DeliveryStatus>(['queued', 'failed', 'held_quiet_hours']);

/** backoffMs · 2^(n−1), plus a random jitter of up to the same amount (so retries of a burst spread out), capped. */
export function backoffDelay(policy: ChannelRetryPolicy, failures: number): number {
  const base = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.min(failures - 1, 30));
  return Math.min(policy.maxBackoffMs, base + randomInt(0, Math.max(1, Math.floor(base)) + 1));
}

const clip = (s: string | undefined | null, n = 500) => (s ? s.slice(0, n) : null);

/**
 * Runs deliveries through their channel and records every outcome: one row per status in
 * notif_attempts, the delivery's current status, a retry with backoff and jitter while the
 * channel's policy allows, then the dead-letter state. Manual retry and provider callbacks
 * (reportStatus) go through here too.
 */
export class DeliveryEngine {
  private readonly db;
  readonly counter: Counter<'channel' | 'status'>;

  constructor(
    private readonly ctx: ModuleContext<NotificationsConfig>,
    private readonly channels: ChannelRegistry,
    private readonly types: TypeRegistry,
    private readonly links: UnsubscribeLinks,
  ) {
    this.db = typedDb<NotificationTables>(ctx);
    this.counter = deliveryCounter(ctx.metrics);
  }

  /** Records a status in the delivery's trail (inside the caller's transaction) and counts it after commit. */
  record(trx: NotifTrx, d: Pick<DeliveryRow, 'id' | 'channel'>, status: DeliveryStatus, attempt: number, extra: { error?: string | null; providerMessageId?: string | null } = {}): Promise<unknown> {
    trx.afterCommit(() => this.counter.inc({ channel: d.channel, status }));
    return trx
      .insertInto('notif_attempts')
      .values({
        delivery_id: d.id,
        status,
        attempt,
        error: clip(extra.error),
        provider_message_id: clip(extra.providerMessageId, 255),
        created_at: new Date().toISOString(),
      } as never)
      .execute();
  }

  /** The job id of a delivery's next run: one per (delivery, attempts so far), so a duplicate enqueue is ignored. */
  jobId(deliveryId: string, attemptsSoFar: number): string {
    return `notif-${deliveryId}-${attemptsSoFar}`;
  }

  channelContext(name: string): ChannelContext {
    return { log: this.ctx.log.child({ channel: name }), publicUrl: this.ctx.appConfig.server.publicUrl, config: this.channels.settingsOf(name) };
  }

  /** The deliver job: one channel call for one delivery, then its outcome recorded. */
  async run(deliveryId: string, attemptsSoFar: number): Promise<void> {
    const d = await this.db.selectFrom('notif_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
    // Stale or duplicate job: already sent, suppressed, dead, or another run got there first.
    if (!d || !RUNNABLE.has(d.status) || d.attempts !== attemptsSoFar) return;
    const n = await this.db.selectFrom('notif_notifications').selectAll().where('id', '=', d.notification_id).executeTakeFirstOrThrow();
    const channel = this.channels.get(d.channel);
    if (!channel) return this.finish(d, { status: 'failed', retryable: false, error: `channel ${d.channel} is not available` });
    const recipient = await describeRecipient(this.ctx, d.recipient_type, d.recipient_id, n.locale);
    if (!recipient) return this.finish(d, { status: 'failed', retryable: false, error: 'recipient no longer exists' });
    let data: Record<string, unknown>;
    try {
      data = { ...(JSON.parse(n.data) as Record<string, unknown>), ...unseal(this.ctx.secret, n.sealed) };
    } catch {
      return this.finish(d, { status: 'failed', retryable: false, error: 'sealed data unreadable (app secret changed?)' });
    }
    let content;
    try {
      content = this.types.render(n.type, recipient.locale, data, n.digest === 1);
    } catch (err) {
      return this.finish(d, { status: 'failed', retryable: false, error: `render: ${(err as Error).message}` });
    }
    const type = this.types.get(n.type);
    const delivery: Delivery = {
      id: d.id,
      notificationId: n.id,
      type: n.type,
      channel: d.channel,
      recipient,
      data,
      content,
      critical: n.critical === 1,
      attempt: d.attempts + 1,
      unsubscribeUrl: recipient.kind === 'user' && type?.optOut ? this.links.url(recipient.id, n.type, d.channel) : null,
      createdAt: new Date(d.created_at).toISOString(),
    };
    let result: ChannelResult;
    try {
      result = await channel.send(delivery, this.channelContext(d.channel));
    } catch (err) {
      // The contract asks channels to answer failures; a throw is an unexpected one, retried.
      result = { status: 'failed', retryable: true, error: (err as Error).message };
    }
    await this.finish(d, result);
  }

  private async finish(d: DeliveryRow, result: ChannelResult): Promise<void> {
    const policy = this.channels.retryPolicy(d.channel);
    const attempts = d.attempts + 1;
    let status: DeliveryStatus = result.status;
    let delayMs: number | null = null;
    if (status === 'failed') {
      // A provider's Retry-After wins over a shorter backoff: retrying earlier only earns another 429.
      if (result.retryable !== false && attempts < policy.attempts) delayMs = Math.max(backoffDelay(policy, attempts), Math.min(result.retryAfterMs ?? 0, 86_400_000));
      else status = 'dead';
    }
    const now = new Date();
    await this.ctx.tx(async (tx) => {
      const trx = typedTrx<NotificationTables>(tx) as NotifTrx;
      const res = await trx
        .updateTable('notif_deliveries')
        .set({
          status,
          attempts,
          provider_message_id: clip(result.providerMessageId, 255) ?? d.provider_message_id,
          last_error: status === 'sent' || status === 'delivered' ? null : clip(result.error),
          next_at: delayMs === null ? null : new Date(now.getTime() + delayMs).toISOString(),
          updated_at: now.toISOString(),
        })
        .where('id', '=', d.id)
        .where('attempts', '=', d.attempts)
        .executeTakeFirst();
      // Another run of the same attempt recorded first: it owns the outcome.
      if (!Number(res.numUpdatedRows)) return;
      await this.record(trx, d, result.status, attempts, { error: result.error, providerMessageId: result.providerMessageId });
      if (status === 'dead') await this.record(trx, d, 'dead', attempts, { error: result.error });
      if (delayMs !== null) trx.enqueue(DELIVER_JOB, { deliveryId: d.id, attempts }, { delayMs, jobId: this.jobId(d.id, attempts), attempts: 3 });
    });
  }

  /** Manual retry of a failed or dead delivery: queued again now, its attempt count kept. */
  async retry(deliveryId: string): Promise<'retried' | 'not_found' | 'not_retryable'> {
    return this.ctx.tx(async (tx) => {
      const trx = typedTrx<NotificationTables>(tx) as NotifTrx;
      const d = await trx.selectFrom('notif_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
      if (!d) return 'not_found';
      if (d.status !== 'dead' && d.status !== 'failed' && d.status !== 'bounced') return 'not_retryable';
      const res = await trx
        .updateTable('notif_deliveries')
        .set({ status: 'queued', next_at: null, updated_at: new Date().toISOString() })
        .where('id', '=', d.id)
        .where('status', '=', d.status)
        .executeTakeFirst();
      if (!Number(res.numUpdatedRows)) return 'not_retryable';
      await this.record(trx, d, 'queued', d.attempts, { error: 'manual retry' });
      // A fresh job id even if a retry job of this attempt count still waits: that one finds the row moved on.
      trx.enqueue(DELIVER_JOB, { deliveryId: d.id, attempts: d.attempts }, { jobId: `${this.jobId(d.id, d.attempts)}-r${Date.now()}`, attempts: 3 });
      return 'retried';
    });
  }

  /**
   * A provider's later word on a sent message (Twilio status callback, a bounce webhook): moves
   * the delivery found by (channel, providerMessageId) to sent, delivered, bounced or failed
   * (final: dead). Callbacks arrive out of order and more than once, so a status only ever moves
   * forward (queued/retrying < sent < delivered < bounced/dead): a late "sent" never undoes
   * "delivered", a repeated one changes nothing. False when no delivery matches.
   */
  async reportStatus(channel: string, providerMessageId: string, status: 'sent' | 'delivered' | 'bounced' | 'failed', error?: string): Promise<boolean> {
    return this.ctx.tx(async (tx) => {
      const trx = typedTrx<NotificationTables>(tx) as NotifTrx;
      const d = await trx
        .selectFrom('notif_deliveries')
        .selectAll()
        .where('channel', '=', channel)
        .where('provider_message_id', '=', providerMessageId)
        .executeTakeFirst();
      if (!d) return false;
      const next: DeliveryStatus = status === 'failed' ? 'dead' : status;
      if (rank(next) <= rank(d.status)) return true;
      const res = await trx
        .updateTable('notif_deliveries')
        .set({ status: next, last_error: next === 'delivered' || next === 'sent' ? null : clip(error), next_at: null, updated_at: new Date().toISOString() })
        .where('id', '=', d.id)
        .where('status', '=', d.status)
        .executeTakeFirst();
      // Another callback moved it first; its word stands (it was at least as far along).
      if (!Number(res.numUpdatedRows)) return true;
      await this.record(trx, d, status, d.attempts, { error, providerMessageId });
      if (status === 'failed') await this.record(trx, d, 'dead', d.attempts, { error });
      return true;
    });
  }
}

/** How far along a delivery is, for provider callbacks that arrive out of order. */
function rank(s: DeliveryStatus): number {
  if (s === 'sent') return 1;
  if (s === 'delivered') return 2;
  if (s === 'bounced' || s === 'dead') return 3;
  return 0;
}
