import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { createRequire } from 'node:module';
import type pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql, type SqliteDatabase, type Transaction } from 'kysely';
import { listenPg } from './listen.js';
import { guardedDialect, openTransaction, TransactionTimeoutError, txContext, type TxStore } from './tx-guard.js';
import { DbStats } from './stats.js';

export type Dialect = 'sqlite' | 'postgres';
// Tables are owned by modules; the kernel does not know their types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Trx = Transaction<any>;

export interface Database {
  db: Db;
  dialect: Dialect;
  /**
   * Runs fn in a transaction; on PostgreSQL, retries serialization failures and deadlocks.
   * Called while a transaction of this database is open in the same async context, it joins it
   * (fn runs on the open transaction; no savepoint). A query on `db` from inside fn throws
   * TransactionMisuseError; fn running longer than `transactionTimeoutMs` is rolled back.
   */
  tx<T>(fn: (trx: Trx) => Promise<T>, opts?: TxOptions): Promise<T>;
  /** The transaction open in the current async context, if any (see tx-guard.ts). */
  openTransaction(): TxStore | undefined;
  /** Connections in use and waited for, slow statements, the tracing hook (db/stats.ts). */
  stats: DbStats;
  ping(): Promise<void>;
  destroy(): Promise<void>;
  /** PostgreSQL only: LISTEN on `channel` over a dedicated connection; returns the stop function. */
  listen?(channel: string, onNotify: () => void): () => Promise<void>;
}

export interface TxOptions {
  /** PostgreSQL isolation level; SQLite transactions are always serializable. */
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  /** Attempts on a retryable PostgreSQL error (40001, 40P01). */
  retries?: number;
  /**
   * After the commit, wait for this process's prompt delivery of the events the transaction
   * emitted before returning (read-your-writes for the caller's next request: a guest merged at
   * sign-in shows its points on the very next /me). Never throws: a failing handler is retried
   * by its job as usual. Ignored when the call joins an already open transaction.
   */
  awaitDelivery?: boolean;
}

export interface DatabaseOptions {
  url: string;
  /** PostgreSQL only: schema put first on the search_path (tests use one schema per app). */
  schema?: string;
  poolSize?: number;
  /** A transaction whose callback runs longer is rolled back (TransactionTimeoutError). Default 30000. */
  transactionTimeoutMs?: number;
  /** A statement taking this long or longer is counted (and logged) as slow. Default 500. */
  slowStatementMs?: number;
}

/** `sqlite:./data/neptuno.db`, `sqlite::memory:`, `postgres://…` or `postgresql://…`. */
export function parseDatabaseUrl(url: string): { dialect: Dialect; target: string } {
  if (url.startsWith('sqlite:')) return { dialect: 'sqlite', target: url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') };
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', target: url };
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got "${url.split(':')[0]}:")`);
}

const RETRYABLE_PG = new Set(['40001', '40P01']);

// pg is loaded only when the database is PostgreSQL, keeping SQLite start-up lean.
const require = createRequire(import.meta.url);

export function createDatabase(opts: DatabaseOptions): Database {
  const { dialect, target } = parseDatabaseUrl(opts.url);
  // Identifies this database's transactions in the async context (tests run several apps at once).
  const owner = {};
  const timeoutMs = opts.transactionTimeoutMs ?? 30_000;
  const stats = new DbStats(dialect === 'sqlite' ? 1 : (opts.poolSize ?? 10), opts.slowStatementMs ?? 500);
  let db: Db;
  if (dialect === 'sqlite') {
    if (target !== ':memory:') mkdirSync(dirname(resolve(target)), { recursive: true });
    const file = new SQLite(target);
    file.pragma('journal_mode = WAL');
    file.pragma('synchronous = NORMAL');
    file.pragma('foreign_keys = ON');
    // Other processes (CLI, a second replica on the same file) wait instead of failing.
    file.pragma('busy_timeout = 5000');
    db = new Kysely({ dialect: guardedDialect(new SqliteDialect({ database: withStatementCache(file) }), owner, stats) });
  } else {
    const { Pool } = require('pg') as typeof pg;
    const pool = new Pool({
      connectionString: target,
      max: opts.poolSize ?? 10,
      options: opts.schema ? `-c search_path=${opts.schema},public` : undefined,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    // Nor may a checked-out one (pg emits 'error' on it when the server goes away mid-transaction,
    // and the pool listens only while it is idle): its queries fail on their own, and the pool
    // drops it on release because it is no longer queryable.
    pool.on('connect', (client) => void client.on('error', () => {}));
    db = new Kysely({ dialect: guardedDialect(new PostgresDialect({ pool }), owner, stats) });
  }

  async function tx<T>(fn: (trx: Trx) => Promise<T>, txOpts: TxOptions = {}): Promise<T> {
    const open = openTransaction(owner);
    if (open) return fn(open.trx as Trx);
    const attempts = dialect === 'postgres' ? (txOpts.retries ?? 5) : 1;
    for (let attempt = 1; ; attempt++) {
      // A fresh store per attempt: a retried callback starts from nothing.
      const store: TxStore = { owner, open: false, trx: null, handle: null };
      try {
        let builder = db.transaction();
        if (dialect === 'postgres' && txOpts.isolation) builder = builder.setIsolationLevel(txOpts.isolation);
        return await txContext.run(store, () =>
          builder.execute(async (trx) => {
            store.trx = trx;
            store.open = true;
            try {
              return await withTimeout(fn(trx), timeoutMs);
            } finally {
              store.open = false;
            }
          }),
        );
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= attempts || !code || !RETRYABLE_PG.has(code)) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
  }

  return {
    db,
    dialect,
    tx,
    openTransaction: () => openTransaction(owner),
    stats,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async destroy() {
      await db.destroy();
    },
    listen:
      dialect === 'postgres'
        ? (channel, onNotify) => listenPg({ connectionString: target, options: opts.schema ? `-c search_path=${opts.schema},public` : undefined }, channel, onNotify)
        : undefined,
  };
}

/**
 * Rejects when `work` has not settled after `ms`, so Kysely rolls back and frees the connection
 * (on SQLite, the whole database) even if the callback awaits something that never comes.
 */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransactionTimeoutError(ms)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query afresh; compiling the SQL is a large share of a small query's
 * cost in better-sqlite3. Statements are reusable, so keep the most recent ones by SQL text.
 * (A statement still iterating a stream is busy; those few are prepared fresh.)
 */
export function withStatementCache(file: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = file.prepare.bind(file);
  return {
    prepare(source: string) {
      const cached = cache.get(source);
      if (cached && !cached.busy) {
        // Map order is insertion order: re-inserting keeps the most recently used last.
        cache.delete(source);
        cache.set(source, cached);
        return cached;
      }
      const statement = prepare(source);
      if (!cached) {
        cache.set(source, statement);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
    close() {
      cache.clear();
      file.close();
    },
  };
}

/** True when err is a unique-constraint violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
