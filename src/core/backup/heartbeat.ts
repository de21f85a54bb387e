import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Migration } from 'kysely';
import type { Db } from '../db/database.js';

/**
 * Running servers announce themselves in `neptuno_instances` (one row per process, refreshed every
 * 15 s, deleted on a clean shutdown), so `neptuno backup restore` can tell that the database it is
 * about to replace is in use, on any replica and either database. A crashed process leaves its row
 * behind; it stops counting once it is older than `STALE_MS`.
 */
export const HEARTBEAT_MS = 15_000;
export const STALE_MS = 3 * HEARTBEAT_MS;

export const heartbeatMigrations: Record<string, Migration> = {
  instances_0001_instances: {
    async up(db) {
      await db.schema
        .createTable('neptuno_instances')
        .ifNotExists()
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('address', 'varchar(255)')
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('neptuno_instances').ifExists().execute();
    },
  },
};

export interface LiveInstance {
  host: string;
  pid: number;
  address: string | null;
  seenAt: Date;
}

/** Starts this process's heartbeat; the returned function stops it and removes the row. */
export async function startHeartbeat(db: Db, address: string | null, log: { warn(o: object, m: string): void }): Promise<() => Promise<void>> {
  const id = randomUUID();
  await db.insertInto('neptuno_instances').values({ id, host: hostname().slice(0, 255), pid: process.pid, address, seen_at: Date.now() }).execute();
  const timer = setInterval(() => {
    db.updateTable('neptuno_instances')
      .set({ seen_at: Date.now() })
      .where('id', '=', id)
      .execute()
      .catch((err: unknown) => log.warn({ err }, 'heartbeat update failed'));
  }, HEARTBEAT_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await db.deleteFrom('neptuno_instances').where('id', '=', id).execute();
  };
}

/** Servers that announced themselves within STALE_MS (none when the table does not exist: a fresh or destroyed database). */
export async function liveInstances(db: Db): Promise<LiveInstance[]> {
  try {
    const rows = await db.selectFrom('neptuno_instances').selectAll().where('seen_at', '>', Date.now() - STALE_MS).execute();
    return rows.map((r) => ({ host: r.host, pid: Number(r.pid), address: r.address, seenAt: new Date(Number(r.seen_at)) }));
  } catch {
    return [];
  }
}
