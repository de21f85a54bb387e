import { randomUUID } from 'node:crypto';
import { typedDb, typedTrx } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import type { NotificationChannel, Recipient } from './channels/contract.js';
import type { ChannelRegistry } from './channels/registry.js';
import type { NotificationsConfig } from './config.js';
import { DELIVER_JOB, type DeliveryEngine } from './deliveries.js';
import type { Digests } from './digest.js';
import type { Preferences } from './preferences.js';
import { quietUntil } from './quiet-hours.js';
import { describeRecipient, recipientPage, type Target } from './recipients.js';
import type { AddressType, DeliveryStatus, NotificationRow, NotificationTables, NotifTrx, RecipientType } from './schema.js';
import type { TypeRegistry } from './types.js';

/**
 * The fan-out job: resolves a notification's target to recipients, page by page, and gives each
 * recipient one delivery per channel, deciding at once what preferences and quiet hours say
 * (suppressed_preference, held_quiet_hours) or queueing it. Re-runnable: a delivery is unique
 * per (notification, recipient, channel), so a crashed fan-out resumes without doubles.
 */
export class FanOut {
  private readonly db;

  constructor(
    private readonly ctx: ModuleContext<NotificationsConfig>,
    private readonly types: TypeRegistry,
    private readonly channels: ChannelRegistry,
    private readonly prefs: Preferences,
    private readonly engine: DeliveryEngine,
    private readonly digests: Digests,
  ) {
    this.db = typedDb<NotificationTables>(ctx);
  }

  async run(notificationId: string): Promise<void> {
    const n = await this.db.selectFrom('notif_notifications').selectAll().where('id', '=', notificationId).executeTakeFirst();
    if (!n || n.fanned_out_at) return;
    const target = JSON.parse(n.target) as Target;
    const batch = this.ctx.config.fanOutBatch;
    let after: string | null = null;
    for (;;) {
      const page = await recipientPage(this.ctx, target, after, batch);
      for (const r of page) await this.toRecipient(n, r.type, r.id);
      if (page.length < batch) break;
      after = page[page.length - 1].id;
    }
    await this.db.updateTable('notif_notifications').set({ fanned_out_at: new Date().toISOString() }).where('id', '=', n.id).execute();
  }

  private async toRecipient(n: NotificationRow, type: RecipientType | AddressType, id: string): Promise<void> {
    const def = this.types.get(n.type);
    if (!def) return void this.ctx.log.warn({ type: n.type }, 'notification type no longer declared; not sent');
    const recipient = await describeRecipient(this.ctx, type, id, n.locale);
    if (!recipient) return;
    const data = JSON.parse(n.data) as Record<string, unknown>;
    const wanted = n.channels ? (JSON.parse(n.channels) as string[]) : def.channels;
    const critical = n.critical === 1;
    // A digested type gathers sends first; the window's one message comes back through here.
    // Bare addresses (one-time codes) are never digested: a code is due now, alone.
    if (def.digest && n.digest === 0 && recipient.kind !== 'address') return this.digests.add(n, recipient as Recipient & { kind: RecipientType }, wanted, data);

    // Everything that may read the database happens before the transaction (SQLite has one connection).
    const off = type === 'user' && def.optOut && !critical ? await this.prefs.optedOut(id, n.type) : new Set<string>();
    const usable: NotificationChannel[] = [];
    for (const name of new Set(wanted)) {
      const channel = this.channels.get(name);
      if (channel && (!channel.canReach || (await channel.canReach(recipient, this.engine.channelContext(name))))) usable.push(channel);
    }
    const now = new Date();
    await this.ctx.tx(async (tx) => {
      const trx = typedTrx<NotificationTables>(tx) as NotifTrx;
      for (const channel of usable) {
        const until = critical || off.has(channel.name) ? null : this.quietEnd(channel, recipient, now);
        const status: DeliveryStatus = off.has(channel.name) ? 'suppressed_preference' : until ? 'held_quiet_hours' : 'queued';
        const row = {
          id: randomUUID(),
          notification_id: n.id,
          recipient_type: type,
          recipient_id: id,
          channel: channel.name,
          status,
          attempts: 0,
          provider_message_id: null,
          last_error: null,
          next_at: until ? until.toISOString() : null,
          created_at: now.toISOString(),
          updated_at: now.toISOString(),
        };
        const res = await trx
          .insertInto('notif_deliveries')
          .values(row)
          .onConflict((oc) => oc.columns(['notification_id', 'recipient_type', 'recipient_id', 'channel']).doNothing())
          .executeTakeFirst();
        if (!Number(res.numInsertedOrUpdatedRows)) continue;
        await this.engine.record(trx, row, status, 0, until ? { error: `held until ${until.toISOString()}` } : {});
        if (status === 'suppressed_preference') continue;
        trx.enqueue(DELIVER_JOB, { deliveryId: row.id, attempts: 0 }, { jobId: this.engine.jobId(row.id, 0), attempts: 3, ...(until ? { delayMs: until.getTime() - now.getTime() } : {}) });
      }
    });
  }

  /** When quiet hours end for this recipient on this channel, or null to send now. */
  private quietEnd(channel: NotificationChannel, recipient: Recipient, now: Date): Date | null {
    const q = this.ctx.config.quietHours;
    if (!q.enabled || channel.quietHours === false) return null;
    return quietUntil(now, recipient.timezone ?? q.defaultTimezone, q);
  }
}
