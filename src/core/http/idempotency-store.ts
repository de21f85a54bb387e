import { randomUUID } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';
import type { Database, Db, Trx } from '../db/database.js';

export const IDEMPOTENCY_TABLE = 'neptuno_idempotency';

/**
 * Stored Idempotency-Key answers, one row per (actor, key). Times are epoch milliseconds in
 * BIGINT so "expired?" is a numeric comparison on both dialects. A row is `running` while its
 * first request executes (held by `lock_token` until `locked_until`, renewed by a heartbeat),
 * then `done` with the answer, or deleted when the answer is not kept (see idempotency.ts).
 */
export const idempotencyMigrations: Record<string, Migration> = {
  idempotency_0001_keys: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable(IDEMPOTENCY_TABLE)
        .addColumn('actor_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('key', 'varchar(255)', (c) => c.notNull())
        .addColumn('route', 'varchar(500)', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('state', 'varchar(10)', (c) => c.notNull())
        .addColumn('lock_token', 'varchar(64)')
        .addColumn('locked_until', 'bigint')
        .addColumn('status', 'integer')
        .addColumn('headers', 'text')
        .addColumn('body', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('neptuno_idempotency_pk', ['actor_type', 'actor_id', 'key'])
        .execute();
      await db.schema.createIndex('neptuno_idempotency_expires').on(IDEMPOTENCY_TABLE).column('expires_at').execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.dropTable(IDEMPOTENCY_TABLE).ifExists().execute();
    },
  },
};

/** Whose key it is: keys of different actors never meet. */
export interface KeyScope {
  actorType: string;
  actorId: string;
  key: string;
}

/** What the first request answered, as replayed. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Row {
  route: string;
  fingerprint: string;
  state: 'running' | 'done';
  lock_token: string | null;
  locked_until: number | string | null;
  status: number | string | null;
  headers: string | null;
  body: string | null;
  expires_at: number | string;
}

export type ClaimResult =
  | { kind: 'claimed'; token: string }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

export interface ClaimInput extends KeyScope {
  route: string;
  fingerprint: string;
  leaseMs: number;
  ttlMs: number;
}

/** Every SQL statement of the facility; each is one statement, atomic on both dialects. */
export class IdempotencyStore {
  constructor(private readonly database: Database) {}

  private get db(): Db {
    return this.database.db;
  }

  /** Narrows any builder to one key's row. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private scoped<Q extends { where: any }>(q: Q, s: KeyScope): Q {
    return q.where('actor_type', '=', s.actorType).where('actor_id', '=', s.actorId).where('key', '=', s.key);
  }

  /**
   * Takes the key for this request, or says why not. The INSERT … ON CONFLICT DO NOTHING is the
   * arbiter across requests and replicas: exactly one inserter wins. A loser reads the row:
   * another route or body is a mismatch, a finished answer is replayed, a live lease is "in
   * progress", and an expired lease (its request died with its process) is taken over by a
   * compare-and-set on the old token, so again only one request wins it.
   */
  async claim(input: ClaimInput, now = Date.now()): Promise<ClaimResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = randomUUID();
      const inserted = await this.db
        .insertInto(IDEMPOTENCY_TABLE)
        .values({
          actor_type: input.actorType,
          actor_id: input.actorId,
          key: input.key,
          route: input.route,
          fingerprint: input.fingerprint,
          state: 'running',
          lock_token: token,
          locked_until: now + input.leaseMs,
          created_at: now,
          expires_at: now + input.ttlMs,
        })
        .onConflict((oc) => oc.columns(['actor_type', 'actor_id', 'key']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { kind: 'claimed', token };

      const row = (await this.scoped(this.db.selectFrom(IDEMPOTENCY_TABLE).selectAll(), input).executeTakeFirst()) as Row | undefined;
      if (!row) continue; // released (the first attempt failed) between our insert and this read
      if (Number(row.expires_at) <= now) {
        // Past its lifetime but not pruned yet: it no longer exists for the caller.
        await this.scoped(this.db.deleteFrom(IDEMPOTENCY_TABLE), input).where('expires_at', '<=', now).execute();
        continue;
      }
      if (row.route !== input.route || row.fingerprint !== input.fingerprint) return { kind: 'mismatch' };
      if (row.state === 'done') {
        return { kind: 'replay', answer: { status: Number(row.status), headers: JSON.parse(row.headers ?? '{}'), body: row.body ?? '' } };
      }
      if (Number(row.locked_until) > now) return { kind: 'in_progress' };
      const taken = await this.scoped(this.db.updateTable(IDEMPOTENCY_TABLE), input)
        .set({ lock_token: token, locked_until: now + input.leaseMs })
        .where('state', '=', 'running')
        .where('lock_token', '=', row.lock_token)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 1) return { kind: 'claimed', token };
    }
    return { kind: 'in_progress' };
  }

  /** Pushes the lease of a running claim; false when it was lost (taken over or released). */
  async extend(scope: KeyScope, token: string, leaseMs: number): Promise<boolean> {
    const r = await this.scoped(this.db.updateTable(IDEMPOTENCY_TABLE), scope)
      .set({ locked_until: Date.now() + leaseMs })
      .where('lock_token', '=', token)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Records the answer while the claim is still ours. With `trx`, it commits (or rolls back)
   * together with the request's own change. False when the claim was lost.
   */
  async complete(scope: KeyScope, token: string, answer: StoredAnswer, trx?: Trx): Promise<boolean> {
    const r = await this.scoped((trx ?? this.db).updateTable(IDEMPOTENCY_TABLE), scope)
      .set({ state: 'done', status: answer.status, headers: JSON.stringify(answer.headers), body: answer.body, locked_until: null })
      .where('lock_token', '=', token)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Frees a key whose first attempt is not kept, so a retry runs again. A stored answer stays. */
  async release(scope: KeyScope, token: string): Promise<void> {
    await this.scoped(this.db.deleteFrom(IDEMPOTENCY_TABLE), scope).where('lock_token', '=', token).where('state', '=', 'running').execute();
  }

  /** Deletes keys past their lifetime; returns how many (the kernel's hourly cron). */
  async prune(now = Date.now()): Promise<number> {
    const r = await this.db.deleteFrom(IDEMPOTENCY_TABLE).where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
