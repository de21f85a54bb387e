import type { ModuleContext } from '../../core/module.js';
import { fcmChannel } from './channels/fcm.js';
import { oneSignalChannel } from './channels/onesignal.js';
import { webPushChannel } from './channels/webpush.js';
import { Devices } from './devices.js';
import { FcmClient, loadServiceAccount } from './fcm-client.js';
import type { ChannelRegistry } from './channels/registry.js';
import type { NotificationsConfig } from './config.js';
import { pushTargetsRemovedCounter } from './metrics.js';
import { PushReceipts } from './push-receipts.js';
import type { PushTables } from './push-schema.js';
import type { DeviceProvider } from './push-schema.js';
import { FcmSettingsSchema, OneSignalSettingsSchema, readSettings, WebPushSettingsSchema } from './push-settings.js';
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
  /** Device tokens of the mobile providers (FCM, OneSignal). */
  readonly devices: Devices;
  /** The providers switched on, and how each addresses a recipient. */
  private readonly providers = new Map<DeviceProvider, { target: 'devices' | 'external_id' }>();

  constructor(
    private readonly ctx: ModuleContext<NotificationsConfig>,
    channels: ChannelRegistry,
  ) {
    this.receipts = new PushReceipts(ctx);
    const limits = new Map<DeviceProvider, number>();
    this.devices = new Devices(ctx, (p) => limits.get(p) ?? 10);
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
    const fcm = section('fcm');
    if (fcm) {
      const settings = readSettings('fcm', FcmSettingsSchema, fcm);
      const source = settings.serviceAccount ?? process.env.FCM_SERVICE_ACCOUNT;
      if (!source) throw new Error('modules.notifications.channels.fcm is on but has no service account: set FCM_SERVICE_ACCOUNT (the key JSON, or a path to it) or channels.fcm.serviceAccount');
      const client = new FcmClient({ account: loadServiceAccount(source), projectId: settings.projectId, baseUrl: settings.baseUrl, tokenUrl: settings.tokenUrl, timeoutMs: settings.timeoutMs });
      limits.set('fcm', settings.maxPerOwner);
      this.providers.set('fcm', { target: 'devices' });
      channels.register(fcmChannel({ client, devices: this.devices, receipts: this.receipts, removed, settings, publicUrl: ctx.appConfig.server.publicUrl }));
    }
    const os = section('onesignal');
    if (os) {
      const settings = readSettings('onesignal', OneSignalSettingsSchema, os);
      const appId = settings.appId ?? process.env.ONESIGNAL_APP_ID;
      const restApiKey = settings.restApiKey ?? process.env.ONESIGNAL_REST_API_KEY;
      if (!appId || !restApiKey) throw new Error('modules.notifications.channels.onesignal is on but ONESIGNAL_APP_ID and ONESIGNAL_REST_API_KEY (or channels.onesignal.appId / restApiKey) are not both set');
      limits.set('onesignal', settings.maxPerOwner);
      this.providers.set('onesignal', { target: settings.target === 'external_id' ? 'external_id' : 'devices' });
      channels.register(oneSignalChannel({ settings: { ...settings, appId, restApiKey }, devices: this.devices, removed, publicUrl: ctx.appConfig.server.publicUrl }));
    }
  }

  /** Whether devices of this provider are registered and used (its channel is on and sends to devices). */
  acceptsDevices(provider: DeviceProvider): 'yes' | 'off' | 'external_id' {
    const p = this.providers.get(provider);
    return !p ? 'off' : p.target === 'devices' ? 'yes' : 'external_id';
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
