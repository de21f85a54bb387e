import type { Migration, Transaction } from 'kysely';
import { columnTypes, type Timestamp } from '../../../core/db/dialect.js';
import type { TxConsequences } from '../../../core/outbox/outbox.js';

/** An admin's (or a tenant's) endpoint: where messages of the event types it names are posted. */
export interface EndpointRow {
  id: string;
  /** Null: the app's own endpoint (every message); else only messages about this tenant. */
  tenant_id: string | null;
  url: string;
  description: string | null;
  /** JSON array of event type names. */
  event_types: string;
  /** `whsec_…`, encrypted with a key derived from the app secret (secrets.ts). */
  secret: string;
  /** The secret before the last rotation, still signing until previous_secret_until. */
  previous_secret: string | null;
  previous_secret_until: Timestamp | null;
  enabled: number;
  disabled_reason: string | null;
  disabled_at: Timestamp | null;
  /** Failed attempts in a row; any success resets it. */
  failures: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type WebhookDeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'dead';

/** One message to one endpoint: the body is stored as sent, so every retry signs the same bytes. */
export interface WebhookDeliveryRow {
  id: string;
  /** The Standard Webhooks message id (`webhook-id`): the same for every try and every endpoint. */
  message_id: string;
  endpoint_id: string;
  event_type: string;
  tenant_id: string | null;
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_at: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Every try: the delivery log behind the admin routes. */
export interface WebhookAttemptRow {
  id: number;
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  duration_ms: number;
  /** The first 1 KB of the answer. */
  response_body: string | null;
  error: string | null;
  created_at: Timestamp;
}

export interface WebhookTables {
  notif_webhook_endpoints: EndpointRow;
  notif_webhook_deliveries: WebhookDeliveryRow;
  notif_webhook_attempts: WebhookAttemptRow;
}
export type WebhookTrx = Transaction<WebhookTables> & TxConsequences;

export const webhookMigrations: Record<string, Migration> = {
  '0003_webhooks': {
    async up(db) {
      const { timestamp: ts, autoIncrement } = columnTypes(db);
      await db.schema
        .createTable('notif_webhook_endpoints')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('tenant_id', 'varchar(255)')
        .addColumn('url', 'varchar(2000)', (c) => c.notNull())
        .addColumn('description', 'varchar(500)')
        .addColumn('event_types', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('previous_secret', 'text')
        .addColumn('previous_secret_until', ts)
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('disabled_reason', 'varchar(500)')
        .addColumn('disabled_at', ts)
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('notif_webhook_deliveries')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('message_id', 'varchar(120)', (c) => c.notNull())
        .addColumn('endpoint_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('event_type', 'varchar(120)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(255)')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_at', ts)
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'varchar(500)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        // A redelivered event finds its message already there: one delivery per (message, endpoint).
        .addUniqueConstraint('notif_webhook_deliveries_uq', ['message_id', 'endpoint_id'])
        .execute();
      await db.schema.createIndex('notif_webhook_deliveries_endpoint_idx').on('notif_webhook_deliveries').columns(['endpoint_id', 'id']).execute();
      await db.schema
        .createTable('notif_webhook_attempts')
        .addColumn('id', autoIncrement, (c) => c.primaryKey())
        .addColumn('delivery_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('response_body', 'varchar(1024)')
        .addColumn('error', 'varchar(500)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notif_webhook_attempts_delivery_idx').on('notif_webhook_attempts').columns(['delivery_id', 'id']).execute();
    },
    async down(db) {
      for (const t of ['notif_webhook_attempts', 'notif_webhook_deliveries', 'notif_webhook_endpoints']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
};
