import type { ModuleContext } from '../../core/module.js';
import { webPushChannel } from './channels/webpush.js';
import type { ChannelRegistry } from './channels/registry.js';
import type { NotificationsConfig } from './config.js';
import { pushTargetsRemovedCounter } from './metrics.js';
import { PushReceipts } from './push-receipts.js';
import type { PushTables } from './push-schema.js';
import { readSettings, WebPushSettingsSchema } from './push-settings.js';
import { typedDb } from '../../core/db/dialect.js';
import { VapidKeyStore } from './webpush-keys.js';
import { WebPushSubscriptions, type PushOwner } from './webpush-subscriptions.js';

/**
 * The push side of the module: web push (VAPID), and the device tokens of the mobile providers.
 * Each channel is off unless its section is in `modules.notifications.channels` (and not
 * `enabled: false`); its settings are checked at start-up.
 */
export class Push {
  /** Null when the webpush channel is off. */
  readonly webpush: { keys: VapidKeyStore; subscriptions: WebPushSubscriptions } | null = null;
  readonly receipts: PushReceipts;

  constructor(
    private readonly ctx: ModuleContext<NotificationsConfig>,
    channels: ChannelRegistry,
  ) {
    this.receipts = new PushReceipts(ctx);
    const removed = pushTargetsRemovedCounter(ctx.metrics);
    const section = (name: string) => {
      const s = ctx.config.channels[name] as (Record<string, unknown> & { enabled?: boolean }) | undefined;
      return s && s.enabled !== false ? s : null;
    };
    const wp = section('webpush');
    if (wp) {
      const settings = readSettings('webpush', WebPushSettingsSchema, wp);
      const keys = new VapidKeyStore(ctx);
      const subscriptions = new WebPushSubscriptions(ctx, settings);
      this.webpush = { keys, subscriptions };
      channels.register(webPushChannel({ settings, keys, subscriptions, receipts: this.receipts, removed, publicUrl: ctx.appConfig.server.publicUrl }));
    }
  }

  /** A guest signed up: their browsers and devices now reach the account. */
  async merge(guestId: string, userId: string): Promise<void> {
    const db = typedDb<PushTables>(this.ctx);
    for (const table of ['notif_webpush_subscriptions', 'notif_devices'] as const)
      await db.updateTable(table).set({ owner_type: 'user', owner_id: userId }).where('owner_type', '=', 'guest').where('owner_id', '=', guestId).execute();
  }

  /** The account or guest is gone: nothing may be pushed to their devices any more. */
  async forget(owner: PushOwner): Promise<void> {
    const db = typedDb<PushTables>(this.ctx);
    for (const table of ['notif_webpush_subscriptions', 'notif_devices'] as const)
      await db.deleteFrom(table).where('owner_type', '=', owner.type).where('owner_id', '=', owner.id).execute();
  }
}
