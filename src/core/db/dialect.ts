import { Kysely, PostgresAdapter, sql, type RawBuilder, type Transaction } from 'kysely';
import type { TxConsequences } from '../outbox/outbox.js';
import type { Db, Dialect, Trx } from './database.js';

/**
 * The only place that asks "SQLite or PostgreSQL?" for column types, timestamps and locks.
 * Modules call these helpers instead of branching on the dialect themselves.
 *
 * Timestamps, the one documented way for new tables: a `columnTypes(db).timestamp` column
 * (timestamptz on PostgreSQL, ISO 8601 text on SQLite), written as ISO 8601 UTC strings
 * (`new Date().toISOString()`), read through `toIso`, and compared in raw SQL through
 * `timestampParam`. Both dialects then order and compare them as time.
 *
 * Upserts need no helper: Kysely's `onConflict((oc) => oc.columns([...]).doUpdateSet(...))`
 * writes `ON CONFLICT` SQL that SQLite and PostgreSQL both run.
 */

/** A value read from a timestamp column: a Date from pg (timestamptz), ISO text from SQLite. */
export type Timestamp = string | Date;

/** The dialect of a Kysely instance: migrations receive only `db`, not the module context. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function dialectOf(db: Kysely<any>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Column types that differ between the dialects, for migrations:
 * `.addColumn('created_at', columnTypes(db).timestamp, (c) => c.notNull())`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function columnTypes(db: Kysely<any> | Dialect) {
  const pg = (typeof db === 'string' ? db : dialectOf(db)) === 'postgres';
  return {
    /** timestamptz compares natively; fixed-width ISO 8601 UTC text compares correctly as text. */
    timestamp: pg ? ('timestamptz' as const) : ('text' as const),
    /** better-sqlite3 cannot bind booleans: write `boolValue(dialect, v)` into these columns. */
    boolean: pg ? ('boolean' as const) : ('integer' as const),
    /** An auto-incrementing integer primary key (SQLite's `integer primary key` is the rowid). */
    autoIncrement: pg ? ('bigserial' as const) : ('integer' as const),
  };
}

/**
 * Normalises a timestamp read from either dialect to ISO 8601 UTC.
 * @example toIso(row.created_at) // '2026-01-31T12:00:00.000Z'
 */
export function toIso(value: Timestamp): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** `toIso` for nullable columns. */
export function toIsoOrNull(value: Timestamp | null | undefined): string | null {
  return value === null || value === undefined ? null : toIso(value);
}

/**
 * An ISO timestamp as a parameter of a raw `sql` fragment that compares it with a timestamp
 * column: PostgreSQL needs the cast to compare as time (an untyped text parameter next to a
 * timestamptz in a hand-written fragment is not always inferred), SQLite compares ISO text.
 * @example .where(sql<boolean>`created_at < ${timestampParam(ctx.dialect, cutoff)}`)
 */
export function timestampParam(dialect: Dialect, iso: string): RawBuilder<Timestamp> {
  return dialect === 'postgres' ? sql<Timestamp>`cast(${iso} as timestamptz)` : sql<Timestamp>`${iso}`;
}

/** A boolean for a `columnTypes().boolean` column: true/false on PostgreSQL, 1/0 on SQLite. */
export function boolValue(dialect: Dialect, value: boolean): boolean | number {
  return dialect === 'postgres' ? value : Number(value);
}

/**
 * True when a failed statement (a unique violation, say) aborts the whole transaction: on
 * PostgreSQL every later statement fails until rollback, so probe before an insert that may
 * collide; SQLite carries on after a failed statement.
 */
export function failedStatementAbortsTransaction(dialect: Dialect): boolean {
  return dialect === 'postgres';
}

/**
 * Adds `FOR UPDATE` on PostgreSQL; SQLite has no row locks (its write transaction already
 * serializes writers). Use with `$call`: `query.$call(forUpdate(ctx.dialect))`.
 */
export function forUpdate(dialect: Dialect) {
  return <Q extends { forUpdate(): Q }>(query: Q): Q => (dialect === 'postgres' ? query.forUpdate() : query);
}

/**
 * Serializes transactions that take the same key until they end: a PostgreSQL advisory
 * transaction lock; on SQLite a no-op, as one write transaction at a time already runs.
 */
export async function lockKey(trx: Trx, dialect: Dialect, key: string): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
}

/**
 * The module's tables, typed: `ctx.db` knows no module's tables, so each module declares its
 * own in schema.ts and says once which ones it uses. Queries on the result are type-checked.
 * @example const db = typedDb<CouponTables>(ctx); // Kysely<CouponTables>
 */
export function typedDb<Tables>(source: { db: Db } | Db): Kysely<Tables> {
  return source instanceof Kysely ? source : source.db;
}

/**
 * `typedDb` for a transaction, keeping what `ctx.tx` adds to it (`emit`, `enqueue`, `afterCommit`):
 * `ctx.tx(async (trx) => { const t = typedTrx<CouponTables>(trx); … t.emit(…) })`.
 */
export function typedTrx<Tables>(trx: Trx & TxConsequences): Transaction<Tables> & TxConsequences;
export function typedTrx<Tables>(trx: Trx): Transaction<Tables>;
export function typedTrx<Tables>(trx: Trx): Transaction<Tables> {
  return trx;
}
