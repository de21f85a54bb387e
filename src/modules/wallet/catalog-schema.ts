import { sql, type Kysely, type Migration, type Transaction } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';
import type { TxConsequences } from '../../core/outbox/outbox.js';

import type { OwnerType } from './schema.js';

export type { OwnerType };

/** Whether yaml may still refresh a catalog row (see catalog-config.ts for the precedence). */
export type CatalogSource = 'yaml' | 'admin';

/** A credit package. Names and descriptions are JSON text. */
export interface PackageRow {
  key: string;
  credits: number;
  /** Minor units; bigint on both dialects (pg returns it as a string: read it through Number). */
  price_amount: number | string;
  currency: string;
  names: string;
  descriptions: string | null;
  /** 1 or 0 on both dialects. */
  active: number;
  starts_at: Timestamp | null;
  ends_at: Timestamp | null;
  sort: number;
  source: CatalogSource;
  /** 1: deleted by an admin (kept as a tombstone so yaml does not bring it back). */
  deleted: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A digital item sold for credits. */
export interface ItemRow {
  key: string;
  price: number;
  /** Null: unlimited. */
  stock: number | null;
  /** Units sold and not refunded; a check constraint keeps it within stock. */
  sold: number;
  per_user_limit: number | null;
  names: string;
  descriptions: string | null;
  active: number;
  sort: number;
  source: CatalogSource;
  deleted: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Units of an item an owner holds; the per-user limit is a conditional update of `count`. */
export interface HoldingRow {
  owner_type: OwnerType;
  owner_id: string;
  item_key: string;
  count: number;
}

/** One purchase: the inventory is the owner's purchases still `owned`. */
export interface PurchaseRow {
  id: string;
  owner_type: OwnerType;
  owner_id: string;
  item_key: string;
  /** Credits paid, copied so history survives price changes. */
  price: number;
  /** The ledger transfer that paid for it. */
  transfer_id: string;
  status: 'owned' | 'refunded';
  refund_transfer_id: string | null;
  refunded_at: Timestamp | null;
  /** The admin's actor id. */
  refunded_by: string | null;
  refund_reason: string | null;
  created_at: Timestamp;
}

/** One row per merged guest: makes the guest.merged handler idempotent. */
export interface MergeRow {
  guest_id: string;
  user_id: string;
  merged_at: Timestamp;
}

export interface CatalogTables {
  wallet_packages: PackageRow;
  wallet_items: ItemRow;
  wallet_holdings: HoldingRow;
  wallet_purchases: PurchaseRow;
  wallet_guest_merges: MergeRow;
}
export type CatalogDb = Kysely<CatalogTables>;
export type CatalogTrx = Transaction<CatalogTables> & TxConsequences;

export const catalogMigrations: Record<string, Migration> = {
  '0002_catalog': {
    async up(db) {
      const ts = columnTypes(db).timestamp;
      await db.schema
        .createTable('wallet_packages')
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('credits', 'integer', (c) => c.notNull())
        .addColumn('price_amount', 'bigint', (c) => c.notNull())
        .addColumn('currency', 'varchar(3)', (c) => c.notNull())
        .addColumn('names', 'text', (c) => c.notNull())
        .addColumn('descriptions', 'text')
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('starts_at', ts)
        .addColumn('ends_at', ts)
        .addColumn('sort', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('source', 'varchar(8)', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('wallet_items')
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('price', 'integer', (c) => c.notNull())
        .addColumn('stock', 'integer')
        .addColumn('sold', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('per_user_limit', 'integer')
        .addColumn('names', 'text', (c) => c.notNull())
        .addColumn('descriptions', 'text')
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('sort', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('source', 'varchar(8)', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        // The database refuses overselling even if a code path forgot the conditional update.
        .addCheckConstraint('wallet_items_sold_within_stock', sql`sold >= 0 and (stock is null or sold <= stock)`)
        .execute();

      await db.schema
        .createTable('wallet_holdings')
        .addColumn('owner_type', 'varchar(8)', (c) => c.notNull())
        .addColumn('owner_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('item_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('wallet_holdings_pk', ['owner_type', 'owner_id', 'item_key'])
        .addCheckConstraint('wallet_holdings_count_positive', sql`count >= 0`)
        .execute();

      await db.schema
        .createTable('wallet_purchases')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('owner_type', 'varchar(8)', (c) => c.notNull())
        .addColumn('owner_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('item_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('price', 'integer', (c) => c.notNull())
        .addColumn('transfer_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(10)', (c) => c.notNull())
        .addColumn('refund_transfer_id', 'varchar(64)')
        .addColumn('refunded_at', ts)
        .addColumn('refunded_by', 'varchar(255)')
        .addColumn('refund_reason', 'varchar(500)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('wallet_purchases_owner_idx').on('wallet_purchases').columns(['owner_type', 'owner_id', 'id']).execute();
      await db.schema.createIndex('wallet_purchases_item_idx').on('wallet_purchases').columns(['item_key', 'id']).execute();

      await db.schema
        .createTable('wallet_guest_merges')
        .addColumn('guest_id', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('merged_at', ts, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      for (const t of ['wallet_guest_merges', 'wallet_purchases', 'wallet_holdings', 'wallet_items', 'wallet_packages']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
};
