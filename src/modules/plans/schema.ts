import type { Kysely, Migration, Transaction } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';
import type { TxConsequences } from '../../core/outbox/outbox.js';

export type OwnerType = 'tenant' | 'user';
export type SubscriptionStatus = 'trialing' | 'active' | 'past_due' | 'canceled';
export const SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = ['trialing', 'active', 'past_due', 'canceled'];

/** An admin's version of a plan; it replaces the neptuno.yaml plan of the same key. */
export interface PlanDefinitionRow {
  key: string;
  /** The PlanDefinition as JSON. */
  definition: string;
  updated_at: Timestamp;
}

/** One subscription per (provider, provider subscription); owners are tenants, or users without tenants. */
export interface SubscriptionRow {
  id: string;
  owner_type: OwnerType;
  owner_id: string;
  plan_key: string;
  provider: string;
  provider_subscription_id: string;
  status: SubscriptionStatus;
  current_period_end: Timestamp | null;
  trial_end: Timestamp | null;
  /** 1 or 0. */
  cancel_at_period_end: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Every change offered to a subscription, applied or not: the history, and the replay guard. */
export interface SubscriptionEventRow {
  id: string;
  subscription_id: string;
  /** Unique: the outbox event id, or `payment:<id>` for a prepaid period. */
  event_key: string;
  cause: string;
  status: SubscriptionStatus;
  current_period_end: Timestamp | null;
  /** 'applied' or why not: 'stale', 'terminal'. */
  outcome: string;
  created_at: Timestamp;
}

/** A usage counter: metric per owner per period ('2026-11', or 'total' for running totals). */
export interface UsageRow {
  owner_type: OwnerType;
  owner_id: string;
  metric: string;
  period: string;
  /** bigint: PostgreSQL hands it back as a string, read it through Number(). */
  count: number | string;
  updated_at: Timestamp;
}

/** One alert per (owner, metric, period, kind, threshold): the primary key makes it once. */
export interface UsageAlertRow {
  owner_type: OwnerType;
  owner_id: string;
  metric: string;
  period: string;
  /** 'threshold' (a percentage reached) or 'exceeded' (soft mode let a call past the limit). */
  kind: string;
  threshold: number;
  usage: number | string;
  limit_value: number | string;
  created_at: Timestamp;
}

export interface PlansTables {
  plan_definitions: PlanDefinitionRow;
  plan_subscriptions: SubscriptionRow;
  plan_subscription_events: SubscriptionEventRow;
  plan_usage: UsageRow;
  plan_usage_alerts: UsageAlertRow;
}
export type PlansDb = Kysely<PlansTables>;
export type PlansTrx = Transaction<PlansTables> & TxConsequences;

export const migrations: Record<string, Migration> = {
  '0001_plans': {
    async up(db) {
      const ts = columnTypes(db).timestamp;
      await db.schema
        .createTable('plan_definitions')
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('plan_subscriptions')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('owner_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('owner_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('plan_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('provider', 'varchar(20)', (c) => c.notNull())
        .addColumn('provider_subscription_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('status', 'varchar(12)', (c) => c.notNull())
        .addColumn('current_period_end', ts)
        .addColumn('trial_end', ts)
        .addColumn('cancel_at_period_end', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addUniqueConstraint('plan_subscriptions_provider_uq', ['provider', 'provider_subscription_id'])
        .execute();
      await db.schema.createIndex('plan_subscriptions_owner_idx').on('plan_subscriptions').columns(['owner_type', 'owner_id', 'updated_at']).execute();
      await db.schema
        .createTable('plan_subscription_events')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('subscription_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('event_key', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('cause', 'varchar(40)', (c) => c.notNull())
        .addColumn('status', 'varchar(12)', (c) => c.notNull())
        .addColumn('current_period_end', ts)
        .addColumn('outcome', 'varchar(12)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('plan_subscription_events_sub_idx').on('plan_subscription_events').columns(['subscription_id', 'created_at']).execute();
      await db.schema
        .createTable('plan_usage')
        .addColumn('owner_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('owner_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('metric', 'varchar(64)', (c) => c.notNull())
        .addColumn('period', 'varchar(7)', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('plan_usage_pk', ['owner_type', 'owner_id', 'metric', 'period'])
        .execute();
      await db.schema.createIndex('plan_usage_period_idx').on('plan_usage').columns(['period', 'metric']).execute();
      await db.schema
        .createTable('plan_usage_alerts')
        .addColumn('owner_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('owner_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('metric', 'varchar(64)', (c) => c.notNull())
        .addColumn('period', 'varchar(7)', (c) => c.notNull())
        .addColumn('kind', 'varchar(12)', (c) => c.notNull())
        .addColumn('threshold', 'integer', (c) => c.notNull())
        .addColumn('usage', 'bigint', (c) => c.notNull())
        .addColumn('limit_value', 'bigint', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('plan_usage_alerts_pk', ['owner_type', 'owner_id', 'metric', 'period', 'kind', 'threshold'])
        .execute();
    },
    async down(db) {
      for (const t of ['plan_usage_alerts', 'plan_usage', 'plan_subscription_events', 'plan_subscriptions', 'plan_definitions']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
};
