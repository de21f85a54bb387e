import { sql, type Kysely, type Migration, type Transaction } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';
import type { TxConsequences } from '../../core/outbox/outbox.js';

export type CouponType = 'percentage' | 'fixed_amount' | 'credits' | 'free_item';
export const COUPON_TYPES: readonly CouponType[] = ['percentage', 'fixed_amount', 'credits', 'free_item'];

/**
 * `code`: anyone with the code may redeem it. `template`: never redeemed by code; rewards
 * (grantReward) copy it into `personal` coupons, single-use and owned by one actor.
 */
export type CouponKind = 'code' | 'template' | 'personal';
export const COUPON_KINDS: readonly CouponKind[] = ['code', 'template', 'personal'];

export type ActorType = 'user' | 'guest' | 'service';

/** A row of `coupons`. Timestamps are ISO text in SQLite and timestamptz in PostgreSQL. */
export interface CouponRow {
  id: string;
  /** Normalized (upper case, trimmed); unique. */
  code: string;
  kind: CouponKind;
  type: CouponType;
  /** percentage: 1-100; fixed_amount: minor units; credits: count; free_item: null. */
  value: number | null;
  currency: string | null;
  item_key: string | null;
  description: string | null;
  /** Null: unlimited. For a template, how many personal coupons may be issued. */
  max_redemptions: number | null;
  /** Null: unlimited. */
  per_user_limit: number | null;
  redemptions_count: number;
  starts_at: Timestamp | null;
  ends_at: Timestamp | null;
  tenant_id: string | null;
  /** 1 or 0 (an integer on both dialects: better-sqlite3 cannot bind booleans). */
  active: number;
  owner_actor_type: ActorType | null;
  owner_actor_id: string | null;
  template_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One redemption; what was applied is copied in, so history survives later edits. */
export interface RedemptionRow {
  id: string;
  coupon_id: string;
  code: string;
  type: CouponType;
  value: number | null;
  currency: string | null;
  item_key: string | null;
  actor_type: ActorType;
  actor_id: string;
  /** 1..per_user_limit for this (coupon, actor); unique, so a limit of 1 holds even without locks. */
  seq: number;
  created_at: Timestamp;
}

/** A reward granted through grantReward: one per (source, actor). */
export interface GrantRow {
  id: string;
  source: string;
  actor_type: ActorType;
  actor_id: string;
  template_id: string;
  /** The personal coupon issued for this grant. */
  coupon_id: string;
  created_at: Timestamp;
}

/** This module's tables, for `typedDb<CouponTables>(ctx)`. */
export interface CouponTables {
  coupons: CouponRow;
  coupon_redemptions: RedemptionRow;
  coupon_grants: GrantRow;
}
export type CouponDb = Kysely<CouponTables>;
/** What `ctx.tx` passes, typed: the tables plus `emit`, `enqueue` and `afterCommit`. */
export type CouponTrx = Transaction<CouponTables> & TxConsequences;

export const migrations: Record<string, Migration> = {
  '0001_coupons': {
    async up(db) {
      // Both dialects compare these correctly: timestamptz natively, ISO text lexicographically.
      const ts = columnTypes(db).timestamp;
      await db.schema
        .createTable('coupons')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('code', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('kind', 'varchar(12)', (c) => c.notNull())
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('value', 'integer')
        .addColumn('currency', 'varchar(3)')
        .addColumn('item_key', 'varchar(100)')
        .addColumn('description', 'varchar(500)')
        .addColumn('max_redemptions', 'integer')
        .addColumn('per_user_limit', 'integer')
        .addColumn('redemptions_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('starts_at', ts)
        .addColumn('ends_at', ts)
        .addColumn('tenant_id', 'varchar(64)')
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('owner_actor_type', 'varchar(10)')
        .addColumn('owner_actor_id', 'varchar(255)')
        .addColumn('template_id', 'varchar(40)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        // The database refuses a count past the cap even if a code path forgets the conditional update.
        .addCheckConstraint('coupons_count_within_max', sql`max_redemptions is null or redemptions_count <= max_redemptions`)
        .execute();
      await db.schema.createIndex('coupons_owner_idx').on('coupons').columns(['owner_actor_type', 'owner_actor_id']).execute();

      await db.schema
        .createTable('coupon_redemptions')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('coupon_id', 'varchar(40)', (c) => c.notNull().references('coupons.id'))
        .addColumn('code', 'varchar(64)', (c) => c.notNull())
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('value', 'integer')
        .addColumn('currency', 'varchar(3)')
        .addColumn('item_key', 'varchar(100)')
        .addColumn('actor_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addUniqueConstraint('coupon_redemptions_per_actor_uq', ['coupon_id', 'actor_type', 'actor_id', 'seq'])
        .execute();
      await db.schema.createIndex('coupon_redemptions_actor_idx').on('coupon_redemptions').columns(['actor_type', 'actor_id', 'id']).execute();

      await db.schema
        .createTable('coupon_grants')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('source', 'varchar(200)', (c) => c.notNull())
        .addColumn('actor_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('template_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('coupon_id', 'varchar(40)', (c) => c.notNull().references('coupons.id'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addUniqueConstraint('coupon_grants_source_actor_uq', ['source', 'actor_type', 'actor_id'])
        .execute();
      await db.schema.createIndex('coupon_grants_actor_idx').on('coupon_grants').columns(['actor_type', 'actor_id', 'id']).execute();

      await db.schema
        .createTable('coupon_idempotency')
        .addColumn('actor_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('key', 'varchar(255)', (c) => c.notNull())
        .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('response', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('coupon_idempotency_pk', ['actor_type', 'actor_id', 'key'])
        .execute();
      await db.schema.createIndex('coupon_idempotency_created_idx').on('coupon_idempotency').column('created_at').execute();
    },
    async down(db) {
      for (const t of ['coupon_idempotency', 'coupon_grants', 'coupon_redemptions', 'coupons']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
  // Idempotency-Key answers moved to the kernel's neptuno_idempotency table (core/http/idempotency.ts).
  '0002_kernel_idempotency': {
    async up(db) {
      await db.schema.dropTable('coupon_idempotency').ifExists().execute();
    },
    async down(db) {
      const ts = columnTypes(db).timestamp;
      await db.schema
        .createTable('coupon_idempotency')
        .addColumn('actor_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('key', 'varchar(255)', (c) => c.notNull())
        .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('response', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('coupon_idempotency_pk', ['actor_type', 'actor_id', 'key'])
        .execute();
    },
  },
};
