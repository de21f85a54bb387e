import type { Kysely, Migration, Transaction } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';
import type { TxConsequences } from '../../core/outbox/outbox.js';
import { pushMigrations } from './push-schema.js';

export type RecipientType = 'user' | 'guest';
/** A delivery to a bare address (one-time codes): the recipient id is the email or E.164 number itself. */
export type AddressType = 'email' | 'phone';

/**
 * Every state a delivery passes through; each change is also an attempt record.
 * queued → sent | delivered | failed (retrying) → … → dead; bounced is final;
 * suppressed_preference and held_quiet_hours are decided before any channel call.
 */
export type DeliveryStatus =
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'failed'
  | 'bounced'
  | 'dead'
  | 'suppressed_preference'
  | 'held_quiet_hours';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'queued',
  'sent',
  'delivered',
  'failed',
  'bounced',
  'dead',
  'suppressed_preference',
  'held_quiet_hours',
];

/** One send: a type, a target (resolved to recipients by the fan-out job) and its data. */
export interface NotificationRow {
  id: string;
  type: string;
  /** The caller's idempotency key: a second send with it answers the first notification. */
  idem_key: string | null;
  /** JSON of the target: { userId } | { guestId } | { tenantId } | { segment }. */
  target: string;
  /** JSON object: the template data. */
  data: string;
  /** JSON array of channel names, or null for the type's defaults. */
  channels: string | null;
  critical: number;
  created_at: Timestamp;
  /** Set once every recipient has its deliveries (the fan-out job is idempotent until then). */
  fanned_out_at: Timestamp | null;
  /** 1 for the message a digest window produced (rendered with the digest templates, never digested again). */
  digest: number;
  /** Template data too sensitive to keep readable (a one-time code): AES-GCM sealed JSON (sealed.ts), merged at render time. */
  sealed: string | null;
  /** The language of an address recipient (who has no profile); null otherwise. */
  locale: string | null;
}

/** One notification to one recipient over one channel. */
export interface DeliveryRow {
  id: string;
  notification_id: string;
  recipient_type: RecipientType | AddressType;
  recipient_id: string;
  channel: string;
  status: DeliveryStatus;
  /** Channel calls made so far. */
  attempts: number;
  provider_message_id: string | null;
  last_error: string | null;
  /** When the next try is due (held or retrying); null otherwise. */
  next_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Every status a delivery took, in order: the audit trail behind the admin list and metrics. */
export interface AttemptRow {
  id: number;
  delivery_id: string;
  status: DeliveryStatus;
  /** The channel call's number, 0 for decisions taken without calling (held, suppressed). */
  attempt: number;
  error: string | null;
  provider_message_id: string | null;
  created_at: Timestamp;
}

/** An in-app inbox item, rendered in the recipient's locale when it was delivered. */
export interface InboxRow {
  id: string;
  recipient_type: RecipientType;
  recipient_id: string;
  notification_id: string;
  type: string;
  title: string;
  body: string;
  url: string | null;
  data: string;
  read_at: Timestamp | null;
  created_at: Timestamp;
}

/** An opt-out (enabled 0) or an explicit opt-in (1) of one user for one type on one channel. */
export interface PreferenceRow {
  user_id: string;
  type: string;
  channel: string;
  enabled: number;
  updated_at: Timestamp;
}

/** Sends of a digested type waiting for their window to end. Its id names the window, so concurrent sends meet in one row. */
export interface DigestRow {
  id: string;
  type: string;
  recipient_type: RecipientType;
  recipient_id: string;
  digest_key: string;
  /** JSON array of channel names (those of the first send). */
  channels: string;
  critical: number;
  count: number;
  /** JSON array of the sends' data (the first 50). */
  items: string;
  flush_at: Timestamp;
  created_at: Timestamp;
}

export type NewsAudience = 'everyone' | 'guests' | 'users' | 'role' | 'tenant';

/** A news-bar item for the landing page's dropdown. */
export interface NewsRow {
  id: string;
  /** JSON { es?, en? }. */
  title: string;
  /** JSON { es?, en? }. */
  body: string;
  link: string | null;
  audience: NewsAudience;
  /** The role or tenant id for those audiences. */
  audience_value: string | null;
  starts_at: Timestamp | null;
  ends_at: Timestamp | null;
  priority: number;
  dismissible: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface NewsDismissalRow {
  news_id: string;
  actor_type: RecipientType;
  actor_id: string;
  created_at: Timestamp;
}

export interface NotificationTables {
  notif_notifications: NotificationRow;
  notif_deliveries: DeliveryRow;
  notif_attempts: AttemptRow;
  notif_inbox: InboxRow;
  notif_preferences: PreferenceRow;
  notif_digests: DigestRow;
  notif_news: NewsRow;
  notif_news_dismissals: NewsDismissalRow;
}
export type NotifDb = Kysely<NotificationTables>;
export type NotifTrx = Transaction<NotificationTables> & TxConsequences;

export const migrations: Record<string, Migration> = {
  '0001_notifications': {
    async up(db) {
      const { timestamp: ts, autoIncrement } = columnTypes(db);
      await db.schema
        .createTable('notif_notifications')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('idem_key', 'varchar(255)', (c) => c.unique())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('channels', 'text')
        .addColumn('critical', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('fanned_out_at', ts)
        .execute();

      await db.schema
        .createTable('notif_deliveries')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('notification_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('recipient_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('recipient_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('channel', 'varchar(32)', (c) => c.notNull())
        .addColumn('status', 'varchar(24)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('provider_message_id', 'varchar(255)')
        .addColumn('last_error', 'varchar(500)')
        .addColumn('next_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addUniqueConstraint('notif_deliveries_uq', ['notification_id', 'recipient_type', 'recipient_id', 'channel'])
        .execute();
      await db.schema.createIndex('notif_deliveries_status_idx').on('notif_deliveries').columns(['status', 'updated_at', 'id']).execute();
      await db.schema.createIndex('notif_deliveries_provider_idx').on('notif_deliveries').columns(['channel', 'provider_message_id']).execute();
      await db.schema.createIndex('notif_deliveries_created_idx').on('notif_deliveries').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('notif_attempts')
        .addColumn('id', autoIncrement, (c) => c.primaryKey())
        .addColumn('delivery_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('status', 'varchar(24)', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('error', 'varchar(500)')
        .addColumn('provider_message_id', 'varchar(255)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notif_attempts_delivery_idx').on('notif_attempts').columns(['delivery_id', 'id']).execute();

      await db.schema
        .createTable('notif_inbox')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('recipient_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('recipient_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('notification_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('title', 'varchar(500)', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('url', 'varchar(2000)')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('read_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addUniqueConstraint('notif_inbox_uq', ['notification_id', 'recipient_type', 'recipient_id'])
        .execute();
      await db.schema.createIndex('notif_inbox_recipient_idx').on('notif_inbox').columns(['recipient_type', 'recipient_id', 'created_at', 'id']).execute();

      await db.schema
        .createTable('notif_preferences')
        .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('channel', 'varchar(32)', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('notif_preferences_pk', ['user_id', 'type', 'channel'])
        .execute();

      await db.schema
        .createTable('notif_digests')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('recipient_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('recipient_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('digest_key', 'varchar(200)', (c) => c.notNull())
        .addColumn('channels', 'text', (c) => c.notNull())
        .addColumn('critical', 'integer', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('items', 'text', (c) => c.notNull())
        .addColumn('flush_at', ts, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('notif_news')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('link', 'varchar(2000)')
        .addColumn('audience', 'varchar(10)', (c) => c.notNull())
        .addColumn('audience_value', 'varchar(255)')
        .addColumn('starts_at', ts)
        .addColumn('ends_at', ts)
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('dismissible', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('notif_news_dismissals')
        .addColumn('news_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('actor_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('notif_news_dismissals_pk', ['news_id', 'actor_type', 'actor_id'])
        .execute();
      await db.schema.createIndex('notif_news_dismissals_actor_idx').on('notif_news_dismissals').columns(['actor_type', 'actor_id']).execute();
    },
    async down(db) {
      for (const t of [
        'notif_news_dismissals',
        'notif_news',
        'notif_digests',
        'notif_preferences',
        'notif_inbox',
        'notif_attempts',
        'notif_deliveries',
        'notif_notifications',
      ])
        await db.schema.dropTable(t).ifExists().execute();
    },
  },
  // The digest a window produces is a notification of its own, rendered with the digest templates.
  '0002_digest_flag': {
    async up(db) {
      await db.schema.alterTable('notif_notifications').addColumn('digest', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db) {
      await db.schema.alterTable('notif_notifications').dropColumn('digest').execute();
    },
  },
  // Sealed data (one-time codes) and the language of bare-address recipients.
  '0004_sealed_data': {
    async up(db) {
      await db.schema.alterTable('notif_notifications').addColumn('sealed', 'text').execute();
      await db.schema.alterTable('notif_notifications').addColumn('locale', 'varchar(5)').execute();
    },
    async down(db) {
      await db.schema.alterTable('notif_notifications').dropColumn('locale').execute();
      await db.schema.alterTable('notif_notifications').dropColumn('sealed').execute();
    },
  },
  // Push targets (web push subscriptions, device tokens), the VAPID keys and push receipts: push-schema.ts.
  ...pushMigrations,
};
