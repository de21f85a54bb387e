import { AsyncLocalStorage } from 'node:async_hooks';
import type { CompiledQuery, DatabaseConnection, Dialect as KyselyDialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import type { DbStats } from './stats.js';

/**
 * Which transaction, if any, is open in the current async context. `ctx.tx` runs its callback
 * inside `txContext.run(store, …)`, so anything the callback awaits (services, helpers, the
 * kernel's own drivers) can tell that a transaction of this database is open around it.
 */
export interface TxStore {
  /** The database the transaction belongs to (several apps may share one process in tests). */
  owner: object;
  /** True while the callback runs: from after BEGIN until it settles (then COMMIT or ROLLBACK). */
  open: boolean;
  /** The Kysely transaction. */
  trx: unknown;
  /** Whatever the kernel attaches to the transaction (the handle with emit/enqueue/afterCommit). */
  handle: unknown;
}

export const txContext = new AsyncLocalStorage<TxStore>();

/** The open transaction of `owner` in this async context, if any. */
export function openTransaction(owner: object): TxStore | undefined {
  const store = txContext.getStore();
  return store && store.open && store.owner === owner ? store : undefined;
}

/**
 * A query on `ctx.db` (or on any connection other than the transaction's) while a transaction is
 * open in the same async context. On SQLite it would wait for the one connection, which the
 * waiting transaction holds: forever. On PostgreSQL it would silently run outside the transaction.
 */
export class TransactionMisuseError extends Error {
  readonly code = 'transaction_misuse';
  constructor() {
    super(
      'A query on ctx.db ran while ctx.tx(...) is open in the same async context. Use the transaction handle ' +
        '(`ctx.tx(async (trx) => trx.selectFrom(...))`), or run the query after the transaction has returned.',
    );
    this.name = 'TransactionMisuseError';
  }
}

export class TransactionTimeoutError extends Error {
  readonly code = 'transaction_timeout';
  constructor(readonly timeoutMs: number) {
    super(`Transaction rolled back: its callback did not finish within ${timeoutMs} ms (database.transactionTimeoutMs)`);
    this.name = 'TransactionTimeoutError';
  }
}

export class TransactionEndedError extends Error {
  readonly code = 'transaction_ended';
  constructor() {
    super('Query on a transaction that has already ended (it timed out or its callback had returned): nothing was run');
    this.name = 'TransactionEndedError';
  }
}

/** One acquisition of a connection: once released, queries through it are refused (see TransactionEndedError). */
class GuardedConnection implements DatabaseConnection {
  released = false;
  constructor(
    readonly inner: DatabaseConnection,
    private readonly stats: DbStats | undefined,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.released) return Promise.reject(new TransactionEndedError());
    const stats = this.stats;
    if (!stats) return this.inner.executeQuery<R>(query);
    // Timed for the slow-statement count; a span around it only while tracing is on.
    const start = performance.now();
    const run = stats.tracer ? stats.tracer(query, () => this.inner.executeQuery<R>(query)) : this.inner.executeQuery<R>(query);
    return run.then(
      (result) => {
        stats.finished(query, start);
        return result;
      },
      (err: unknown) => {
        stats.finished(query, start);
        throw err;
      },
    );
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    if (this.released) throw new TransactionEndedError();
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

const unwrap = (c: DatabaseConnection) => (c instanceof GuardedConnection ? c.inner : c);

class GuardedDriver implements Driver {
  // Savepoints are optional in Kysely's driver interface: passed through when the dialect has them.
  savepoint?: Driver['savepoint'];
  rollbackToSavepoint?: Driver['rollbackToSavepoint'];
  releaseSavepoint?: Driver['releaseSavepoint'];

  constructor(
    private readonly inner: Driver,
    private readonly owner: object,
    private readonly stats?: DbStats,
  ) {
    if (inner.savepoint) this.savepoint = (c, name, compile) => inner.savepoint!(unwrap(c), name, compile);
    if (inner.rollbackToSavepoint) this.rollbackToSavepoint = (c, name, compile) => inner.rollbackToSavepoint!(unwrap(c), name, compile);
    if (inner.releaseSavepoint) this.releaseSavepoint = (c, name, compile) => inner.releaseSavepoint!(unwrap(c), name, compile);
  }

  init() {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // Every query of an open transaction runs on the connection it already holds; asking for
    // another one from inside it is the misuse (a ctx.db query, a raw db.transaction()).
    if (openTransaction(this.owner)) throw new TransactionMisuseError();
    const stats = this.stats;
    if (!stats) return new GuardedConnection(await this.inner.acquireConnection(), undefined);
    stats.waiting++;
    let connection: DatabaseConnection;
    try {
      connection = await this.inner.acquireConnection();
    } finally {
      stats.waiting--;
    }
    stats.inUse++;
    return new GuardedConnection(connection, stats);
  }

  beginTransaction(c: DatabaseConnection, settings: TransactionSettings) {
    return this.inner.beginTransaction(unwrap(c), settings);
  }

  commitTransaction(c: DatabaseConnection) {
    return this.inner.commitTransaction(unwrap(c));
  }

  rollbackTransaction(c: DatabaseConnection) {
    return this.inner.rollbackTransaction(unwrap(c));
  }

  async releaseConnection(c: DatabaseConnection) {
    if (c instanceof GuardedConnection) {
      if (!c.released && this.stats) this.stats.inUse--;
      c.released = true;
    }
    await this.inner.releaseConnection(unwrap(c));
  }

  destroy() {
    return this.inner.destroy();
  }
}

/** Wraps a Kysely dialect so its connections refuse the misuses above instead of hanging. */
export function guardedDialect(inner: KyselyDialect, owner: object, stats?: DbStats): KyselyDialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createDriver: () => new GuardedDriver(inner.createDriver(), owner, stats),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
  };
}
