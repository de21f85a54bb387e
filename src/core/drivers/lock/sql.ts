import type { Migration } from 'kysely';
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/database.js';
import type { AcquireOptions, Lock, LockManager } from './contract.js';
import { acquireWithRetry, checkAcquireOptions, newOwnerToken, runWithLock } from './shared.js';

export const lockMigrations: Record<string, Migration> = {
  locks_0001_locks: {
    async up(db) {
      await db.schema
        .createTable('neptuno_locks')
        .addColumn('key', 'varchar(300)', (c) => c.primaryKey())
        .addColumn('token', 'varchar(64)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('neptuno_locks').execute();
    },
  },
};

/**
 * Locks in a table of the shared database, for several replicas on PostgreSQL without Redis
 * (crons must still run once per tick there). Taking a lock is one INSERT guarded by the
 * primary key; an expired row is deleted first, by whoever comes next.
 */
export class SqlLockManager implements LockManager {
  constructor(private readonly database: Database) {}

  async acquire(key: string, opts: AcquireOptions): Promise<Lock | null> {
    checkAcquireOptions(key, opts);
    return acquireWithRetry(() => this.tryAcquire(key, Math.ceil(opts.ttlMs)), opts.waitMs);
  }

  withLock<T>(key: string, opts: AcquireOptions, fn: (lock: Lock) => Promise<T>): Promise<T> {
    return runWithLock(() => this.acquire(key, opts), key, fn);
  }

  async close(): Promise<void> {
    // The database belongs to the kernel.
  }

  private async tryAcquire(key: string, ttlMs: number): Promise<Lock | null> {
    const { db } = this.database;
    const now = Date.now();
    await db.deleteFrom('neptuno_locks').where('key', '=', key).where('expires_at', '<=', now).execute();
    const token = newOwnerToken();
    try {
      await db.insertInto('neptuno_locks').values({ key, token, expires_at: now + ttlMs }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
    return this.lockObject(key, token);
  }

  private lockObject(key: string, token: string): Lock {
    const { db } = this.database;
    return {
      key,
      release: async () => {
        const res = await db
          .deleteFrom('neptuno_locks')
          .where('key', '=', key)
          .where('token', '=', token)
          .where('expires_at', '>', Date.now())
          .executeTakeFirst();
        return Number(res.numDeletedRows) === 1;
      },
      extend: async (ttlMs: number) => {
        if (!Number.isFinite(ttlMs) || ttlMs < 1) throw new RangeError('Lock ttlMs must be >= 1');
        const now = Date.now();
        const res = await db
          .updateTable('neptuno_locks')
          .set({ expires_at: now + Math.ceil(ttlMs) })
          .where('key', '=', key)
          .where('token', '=', token)
          .where('expires_at', '>', now)
          .executeTakeFirst();
        return Number(res.numUpdatedRows) === 1;
      },
    };
  }
}
