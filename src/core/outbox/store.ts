import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database, Db } from '../db/database.js';

export const OUTBOX = 'neptuno_tx_outbox';

/** A row as read back; BIGINT columns arrive as strings from pg, numbers from SQLite. */
export interface OutboxRow {
  seq: number | string;
  id: string;
  kind: 'delivery' | 'job';
  event_id: string | null;
  name: string;
  handler: string | null;
  key: string | null;
  payload: string;
  options: string | null;
  created_at: number | string;
  relayed_at: number | string | null;
  lease_token: string | null;
  lease_until: number | string | null;
  finished_at: number | string | null;
}

export type NewOutboxRow = Pick<OutboxRow, 'id' | 'kind' | 'event_id' | 'name' | 'handler' | 'key' | 'payload' | 'options'> & {
  created_at: number;
  relayed_at: number | null;
};

/** Every statement on the outbox table. Each is one statement: none needs a transaction of its own. */
export class OutboxStore {
  constructor(private readonly database: Database) {}

  private get db(): Db {
    return this.database.db;
  }

  /**
   * Written inside the emitting transaction. On PostgreSQL the keys are locked first (advisory,
   * until commit, in a fixed order), so two transactions emitting for one key commit their rows in
   * `seq` order and a handler never sees a later event of the key before an earlier one.
   */
  async insert(trx: Db, rows: NewOutboxRow[], keys: string[]): Promise<void> {
    if (!rows.length) return;
    if (this.database.dialect === 'postgres' && keys.length) {
      await sql`select pg_advisory_xact_lock(hashtextextended(k, 7)) from (select distinct unnest(${keys}::text[]) as k order by 1) s`.execute(trx);
    }
    // A jobId enqueued again (dedupe) keeps its first row, as the queue would.
    await trx.insertInto(OUTBOX).values(rows).onConflict((oc) => oc.column('id').doNothing()).execute();
  }

  async get(id: string): Promise<OutboxRow | undefined> {
    return (await this.db.selectFrom(OUTBOX).selectAll().where('id', '=', id).executeTakeFirst()) as OutboxRow | undefined;
  }

  /** A handler's unfinished deliveries of one key, oldest first. */
  async pending(handler: string, key: string, limit: number): Promise<OutboxRow[]> {
    return (await this.db
      .selectFrom(OUTBOX)
      .selectAll()
      .where('handler', '=', handler)
      .where('key', '=', key)
      .where('finished_at', 'is', null)
      .orderBy('seq')
      .limit(limit)
      .execute()) as OutboxRow[];
  }

  /** Takes the delivery for leaseMs; null when it is finished or another process holds it. */
  async claim(id: string, leaseMs: number): Promise<string | null> {
    const now = Date.now();
    const token = randomUUID();
    const r = await this.db
      .updateTable(OUTBOX)
      .set({ lease_token: token, lease_until: now + leaseMs })
      .where('id', '=', id)
      .where('finished_at', 'is', null)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? token : null;
  }

  async extend(id: string, token: string, leaseMs: number): Promise<boolean> {
    const r = await this.db.updateTable(OUTBOX).set({ lease_until: Date.now() + leaseMs }).where('id', '=', id).where('lease_token', '=', token).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Records that the handler finished; later deliveries of this row skip it. */
  async finish(id: string, token: string): Promise<void> {
    await this.db
      .updateTable(OUTBOX)
      .set({ finished_at: Date.now(), lease_token: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .execute();
  }

  /** Gives a failed delivery back at once (its job retries it after the backoff). */
  async release(id: string, token: string): Promise<void> {
    await this.db.updateTable(OUTBOX).set({ lease_token: null, lease_until: null }).where('id', '=', id).where('lease_token', '=', token).execute();
  }

  /** Rows whose job is not in the queue yet, written at least `olderThanMs` ago. */
  async unrelayed(olderThanMs: number, limit: number): Promise<OutboxRow[]> {
    return (await this.db
      .selectFrom(OUTBOX)
      .selectAll()
      .where('relayed_at', 'is', null)
      .where('created_at', '<=', Date.now() - olderThanMs)
      .orderBy('seq')
      .limit(limit)
      .execute()) as OutboxRow[];
  }

  async markRelayed(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.db.updateTable(OUTBOX).set({ relayed_at: Date.now() }).where('id', 'in', ids).where('relayed_at', 'is', null).execute();
  }

  /**
   * What waits: deliveries not finished and jobs not yet handed to the queue, with the creation
   * time of the oldest. Two indexed reads (outbox_0002's partial index and the relay index).
   */
  async backlog(): Promise<{ count: number; oldest: number | null }> {
    const waiting = (kind: 'delivery' | 'job') =>
      this.db
        .selectFrom(OUTBOX)
        .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('created_at').as('oldest')])
        .where(kind === 'delivery' ? 'finished_at' : 'relayed_at', 'is', null)
        .where('kind', '=', kind)
        .executeTakeFirst();
    const rows = await Promise.all([waiting('delivery'), waiting('job')]);
    const oldest = rows.map((r) => r?.oldest).filter((v) => v != null).map(Number);
    return { count: rows.reduce((n, r) => n + Number(r?.n ?? 0), 0), oldest: oldest.length ? Math.min(...oldest) : null };
  }

  /** Drops finished deliveries and relayed jobs older than `olderThanMs`; returns how many. */
  async prune(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    const r = await this.db
      .deleteFrom(OUTBOX)
      .where('created_at', '<', cutoff)
      .where((eb) => eb.or([eb('finished_at', 'is not', null), eb.and([eb('kind', '=', 'job'), eb('relayed_at', 'is not', null)])]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
