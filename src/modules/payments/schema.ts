import type { Kysely, Migration, Transaction } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';
import type { TxConsequences } from '../../core/outbox/outbox.js';
import type { ProviderName } from './providers/contract.js';

export type PaymentStatus = 'pending' | 'approved' | 'rejected' | 'refunded' | 'charged_back';
export const PAYMENT_STATUSES: readonly PaymentStatus[] = ['pending', 'approved', 'rejected', 'refunded', 'charged_back'];
export type PurposeKind = 'package' | 'plan';

/** One checkout and what became of it. */
export interface PaymentRow {
  /** Ours (a UUID); the provider carries it back as the reference (external_reference…). */
  id: string;
  user_id: string;
  tenant_id: string | null;
  provider: ProviderName;
  purpose_kind: PurposeKind;
  purpose_key: string;
  title: string;
  /** Minor units (bigint: PostgreSQL answers a string, read through Number()). */
  amount: number | string;
  currency: string;
  /** Credits a package grants (copied at checkout: a later price or size change does not alter it). */
  credits: number | string | null;
  status: PaymentStatus;
  provider_checkout_id: string | null;
  /** The provider payment that decided the status (a checkout may see several attempts). */
  provider_payment_id: string | null;
  provider_status: string | null;
  redirect_url: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Every change of a payment's status, and why. */
export interface PaymentHistoryRow {
  id?: number;
  payment_id: string;
  from_status: PaymentStatus | null;
  to_status: PaymentStatus;
  /** checkout | webhook | reconciliation | admin_refund | checkout_failed */
  cause: string;
  provider_payment_id: string | null;
  provider_status: string | null;
  /** The provider event id (webhooks) that carried the change. */
  event_id: string | null;
  created_at: Timestamp;
}

/**
 * Webhooks as received, keyed by the provider's event id: a redelivery of the same event is
 * stored once and processed once. Processing runs in a job after the answer.
 */
export interface WebhookInboxRow {
  provider: ProviderName;
  event_id: string;
  /** The verified, parsed event (WebhookEvent as JSON). */
  event: string;
  received_at: Timestamp;
  processed_at: Timestamp | null;
  /** What processing concluded: applied, unchanged, unknown_payment, ignored. */
  outcome: string | null;
}

/**
 * Effects done, keyed by (provider, provider object id, effect): the wallet credit of a provider
 * payment happens once whichever event, replay or reconciliation brings it.
 */
export interface PaymentEffectRow {
  provider: ProviderName;
  object_id: string;
  /** credit | succeeded | failed | reversed */
  effect: string;
  payment_id: string;
  created_at: Timestamp;
}

export interface PaymentTables {
  payments: PaymentRow;
  payment_history: PaymentHistoryRow;
  payment_webhook_inbox: WebhookInboxRow;
  payment_effects: PaymentEffectRow;
}
export type PaymentsDb = Kysely<PaymentTables>;
export type PaymentsTrx = Transaction<PaymentTables> & TxConsequences;

export const migrations: Record<string, Migration> = {
  '0001_payments': {
    async up(db) {
      const { timestamp: ts, autoIncrement } = columnTypes(db);
      await db.schema
        .createTable('payments')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)')
        .addColumn('provider', 'varchar(20)', (c) => c.notNull())
        .addColumn('purpose_kind', 'varchar(10)', (c) => c.notNull())
        .addColumn('purpose_key', 'varchar(100)', (c) => c.notNull())
        .addColumn('title', 'varchar(300)', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('currency', 'varchar(3)', (c) => c.notNull())
        .addColumn('credits', 'bigint')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('provider_checkout_id', 'varchar(255)')
        .addColumn('provider_payment_id', 'varchar(255)')
        .addColumn('provider_status', 'varchar(64)')
        .addColumn('redirect_url', 'varchar(2000)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('payments_user_idx').on('payments').columns(['user_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('payments_status_idx').on('payments').columns(['status', 'created_at']).execute();
      await db.schema.createIndex('payments_provider_payment_idx').on('payments').columns(['provider', 'provider_payment_id']).execute();

      await db.schema
        .createTable('payment_history')
        .addColumn('id', autoIncrement, (c) => c.primaryKey())
        .addColumn('payment_id', 'varchar(40)', (c) => c.notNull().references('payments.id'))
        .addColumn('from_status', 'varchar(16)')
        .addColumn('to_status', 'varchar(16)', (c) => c.notNull())
        .addColumn('cause', 'varchar(32)', (c) => c.notNull())
        .addColumn('provider_payment_id', 'varchar(255)')
        .addColumn('provider_status', 'varchar(64)')
        .addColumn('event_id', 'varchar(255)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('payment_history_payment_idx').on('payment_history').columns(['payment_id', 'id']).execute();

      await db.schema
        .createTable('payment_webhook_inbox')
        .addColumn('provider', 'varchar(20)', (c) => c.notNull())
        .addColumn('event_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('received_at', ts, (c) => c.notNull())
        .addColumn('processed_at', ts)
        .addColumn('outcome', 'varchar(32)')
        .addPrimaryKeyConstraint('payment_webhook_inbox_pk', ['provider', 'event_id'])
        .execute();
      await db.schema.createIndex('payment_webhook_inbox_received_idx').on('payment_webhook_inbox').column('received_at').execute();

      await db.schema
        .createTable('payment_effects')
        .addColumn('provider', 'varchar(20)', (c) => c.notNull())
        .addColumn('object_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('effect', 'varchar(32)', (c) => c.notNull())
        .addColumn('payment_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('payment_effects_pk', ['provider', 'object_id', 'effect'])
        .execute();
    },
    async down(db) {
      for (const t of ['payment_effects', 'payment_webhook_inbox', 'payment_history', 'payments']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
};
