import type { Migration } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';
import type { RecipientType } from './schema.js';

/**
 * Tables of the push channels (web push, FCM, OneSignal): where a user's or guest's devices and
 * browsers are reached, the VAPID key pair, and which targets a delivery already reached.
 */

/** A browser's Push API subscription (PushSubscription.toJSON()), owned by a user or a guest. */
export interface WebPushSubscriptionRow {
  id: string;
  owner_type: RecipientType;
  owner_id: string;
  endpoint: string;
  /** sha256 of the endpoint (hex): the unique key, so a re-subscribing browser keeps one row. */
  endpoint_hash: string;
  /** The browser's P-256 public key and auth secret, base64url (RFC 8291). */
  p256dh: string;
  auth: string;
  user_agent: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type DeviceProvider = 'fcm' | 'onesignal';
export type DevicePlatform = 'android' | 'ios' | 'web';

/** A mobile (or web) device token of a push provider: an FCM registration token, a OneSignal subscription id. */
export interface DeviceRow {
  id: string;
  owner_type: RecipientType;
  owner_id: string;
  provider: DeviceProvider;
  token: string;
  /** sha256 of the token (hex); unique per provider, so the same token is one row whoever registers it. */
  token_hash: string;
  platform: DevicePlatform;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The app's VAPID key pair (one row, id `default`), shared by every replica. */
export interface VapidKeyRow {
  id: string;
  /** Uncompressed P-256 point, base64url: the browser's `applicationServerKey`. */
  public_key: string;
  /** The private key, encrypted with a key derived from the app secret (webpush-keys.ts). */
  private_key: string;
  created_at: Timestamp;
}

/**
 * A delivery that reached one of a recipient's targets (subscription or device): a retried
 * delivery skips it, so a user with three browsers never gets the message twice on two of them
 * because the third failed.
 */
export interface PushReceiptRow {
  delivery_id: string;
  target_id: string;
  created_at: Timestamp;
}

export interface PushTables {
  notif_webpush_subscriptions: WebPushSubscriptionRow;
  notif_devices: DeviceRow;
  notif_vapid_keys: VapidKeyRow;
  notif_push_receipts: PushReceiptRow;
}

export const pushMigrations: Record<string, Migration> = {
  '0005_push_targets': {
    async up(db) {
      const { timestamp: ts } = columnTypes(db);
      await db.schema
        .createTable('notif_webpush_subscriptions')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('owner_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('owner_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('endpoint', 'varchar(2048)', (c) => c.notNull())
        .addColumn('endpoint_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('p256dh', 'varchar(200)', (c) => c.notNull())
        .addColumn('auth', 'varchar(100)', (c) => c.notNull())
        .addColumn('user_agent', 'varchar(300)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notif_webpush_owner_idx').on('notif_webpush_subscriptions').columns(['owner_type', 'owner_id', 'updated_at']).execute();

      await db.schema
        .createTable('notif_devices')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('owner_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('owner_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('provider', 'varchar(16)', (c) => c.notNull())
        .addColumn('token', 'varchar(4096)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('platform', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addUniqueConstraint('notif_devices_token_uq', ['provider', 'token_hash'])
        .execute();
      await db.schema.createIndex('notif_devices_owner_idx').on('notif_devices').columns(['owner_type', 'owner_id', 'provider', 'updated_at']).execute();

      await db.schema
        .createTable('notif_vapid_keys')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('public_key', 'varchar(200)', (c) => c.notNull())
        .addColumn('private_key', 'varchar(500)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('notif_push_receipts')
        .addColumn('delivery_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('target_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('notif_push_receipts_pk', ['delivery_id', 'target_id'])
        .execute();
      await db.schema.createIndex('notif_push_receipts_created_idx').on('notif_push_receipts').column('created_at').execute();
    },
    async down(db) {
      for (const t of ['notif_push_receipts', 'notif_vapid_keys', 'notif_devices', 'notif_webpush_subscriptions']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
};
