import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { JobList, JobRecord, JobState } from './contract.js';
import { backoffDelay, clampLimit, decodeCursor, encodeCursor, JOB_STATES, type ResolvedJobOptions } from './shared.js';

export const TABLE = 'neptuno_jobs';

/** A row as read back; BIGINT columns arrive as strings from pg, numbers from SQLite. */
export interface JobRow {
  id: string;
  name: string;
  payload: string;
  state: 'waiting' | 'active' | 'completed' | 'dead';
  attempts: number | string;
  max_attempts: number | string;
  backoff_ms: number | string;
  last_error: string | null;
  run_at: number | string;
  locked_until: number | string | null;
  lock_token: string | null;
  created_at: number | string;
  finished_at: number | string | null;
}

export function toRecord(row: JobRow, now = Date.now()): JobRecord {
  const runAt = Number(row.run_at);
  return {
    id: row.id,
    name: row.name,
    payload: JSON.parse(row.payload),
    state: row.state === 'waiting' && runAt > now ? 'delayed' : row.state,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    lastError: row.last_error,
    runAt: new Date(runAt).toISOString(),
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}

type ListCursor = [number, string];
const isListCursor = (v: unknown): v is ListCursor =>
  Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string';

/* eslint-disable @typescript-eslint/no-explicit-any -- a transaction of any module's schema */
/** Every SQL statement of the queue. Each one is a single statement, so none needs a transaction. */
export class JobTable {
  constructor(private readonly database: Database) {}

  private get db() {
    return this.database.db;
  }

  /** Inserts the job unless one with the same id exists (jobId dedupe); returns the id either way. */
  async insert(name: string, payload: unknown, opts: ResolvedJobOptions): Promise<string> {
    const now = Date.now();
    const id = opts.jobId ?? randomUUID();
    await this.db
      .insertInto(TABLE)
      .values({
        id,
        name,
        payload: JSON.stringify(payload ?? null),
        state: 'waiting',
        attempts: 0,
        max_attempts: opts.attempts,
        backoff_ms: opts.backoffMs,
        run_at: now + opts.delayMs,
        created_at: now,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return id;
  }

  /**
   * Inserts several jobs through `executor` — a transaction, so they exist if and only if it
   * commits (the outbox's trx.enqueue). Same dedupe as insert: an existing id is left alone.
   */
  async insertMany(executor: Kysely<any>, jobs: Array<{ name: string; payload: unknown; opts: ResolvedJobOptions; id: string }>): Promise<void> {
    if (!jobs.length) return;
    const now = Date.now();
    await executor
      .insertInto(TABLE)
      .values(
        jobs.map((j) => ({
          id: j.id,
          name: j.name,
          payload: JSON.stringify(j.payload ?? null),
          state: 'waiting',
          attempts: 0,
          max_attempts: j.opts.attempts,
          backoff_ms: j.opts.backoffMs,
          run_at: now + j.opts.delayMs,
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /**
   * Claims up to `limit` due jobs of the given names in one UPDATE … RETURNING over a LIMIT
   * subquery: waiting jobs whose time has come, oldest first, read straight off the
   * (state, run_at) index (expired leases are put back to waiting by releaseExpired, so the
   * claim never scans active or completed rows). On PostgreSQL the inner SELECT takes row locks with SKIP LOCKED so concurrent workers
   * split the rows instead of queueing on them. On SQLite the UPDATE takes the write lock
   * before it reads, so the statement is atomic across connections and processes.
   */
  async claim(names: string[], limit: number, visibilityTimeoutMs: number): Promise<JobRow[]> {
    const now = Date.now();
    const token = randomUUID();
    const due = this.db
      .selectFrom(TABLE)
      .select('id')
      .where('state', '=', 'waiting')
      .where('run_at', '<=', now)
      .where('name', 'in', names)
      .orderBy('run_at')
      .limit(limit)
      .$if(this.database.dialect === 'postgres', (q) => q.forUpdate().skipLocked());
    return (await this.db
      .updateTable(TABLE)
      .set({ state: 'active', attempts: sql`attempts + 1`, locked_until: now + visibilityTimeoutMs, lock_token: token })
      .where('id', 'in', due)
      .returningAll()
      .execute()) as JobRow[];
  }

  /**
   * Active jobs whose lease expired (their worker died) go back to waiting when attempts are
   * left; clearing the lock token fences the old worker out. Returns how many.
   */
  async releaseExpired(names: string[]): Promise<number> {
    const r = await this.db
      .updateTable(TABLE)
      .set({ state: 'waiting', locked_until: null, lock_token: null })
      .where('state', '=', 'active')
      .where('locked_until', '<=', Date.now())
      .where('name', 'in', names)
      .where('attempts', '<', sql.ref('max_attempts'))
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Active jobs whose lease expired on their last attempt go dead instead of running again. */
  async buryExpired(names: string[]): Promise<{ name: string }[]> {
    const now = Date.now();
    return this.db
      .updateTable(TABLE)
      .set({ state: 'dead', last_error: 'Visibility timeout expired on the last attempt (worker died?)', finished_at: now, locked_until: null, lock_token: null })
      .where('name', 'in', names)
      .where('state', '=', 'active')
      .where('locked_until', '<=', now)
      .where('attempts', '>=', sql.ref('max_attempts'))
      .returning('name')
      .execute();
  }

  /** Pushes the lease of a running job; false when the claim was lost to another worker. */
  async extend(row: JobRow, visibilityTimeoutMs: number): Promise<boolean> {
    const r = await this.db
      .updateTable(TABLE)
      .set({ locked_until: Date.now() + visibilityTimeoutMs })
      .where('id', '=', row.id)
      .where('lock_token', '=', row.lock_token)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Completes many jobs of one claim (one lock token) in one statement; returns the ids it
   * completed. An id missing from the answer lost its lease to another worker meanwhile.
   */
  async completeMany(token: string, ids: string[]): Promise<Set<string>> {
    const rows = await this.db
      .updateTable(TABLE)
      .set({ state: 'completed', finished_at: Date.now(), locked_until: null, lock_token: null })
      .where('id', 'in', ids)
      .where('lock_token', '=', token)
      .returning('id')
      .execute();
    return new Set(rows.map((r) => r.id as string));
  }

  /** Records a failed attempt: back to waiting after the backoff, or dead when none are left. */
  async fail(row: JobRow, error: string): Promise<'retry' | 'dead' | 'lost'> {
    const now = Date.now();
    const attempt = Number(row.attempts);
    const dead = attempt >= Number(row.max_attempts);
    const r = await this.db
      .updateTable(TABLE)
      .set(
        dead
          ? { state: 'dead', last_error: error, finished_at: now, locked_until: null, lock_token: null }
          : { state: 'waiting', last_error: error, run_at: now + backoffDelay(Number(row.backoff_ms), attempt), locked_until: null, lock_token: null },
      )
      .where('id', '=', row.id)
      .where('lock_token', '=', row.lock_token)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return 'lost';
    return dead ? 'dead' : 'retry';
  }

  /** A dead job gets a fresh set of attempts; lastError stays for the record. */
  async retry(id: string): Promise<boolean> {
    const r = await this.db
      .updateTable(TABLE)
      .set({ state: 'waiting', attempts: 0, run_at: Date.now(), finished_at: null })
      .where('id', '=', id)
      .where('state', '=', 'dead')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Deletes the job unless a live worker holds it (an expired lease means its worker died). */
  async remove(id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom(TABLE)
      .where('id', '=', id)
      .where((eb) => eb.or([eb('state', '!=', 'active'), eb('locked_until', '<=', Date.now())]))
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Moves a waiting (or delayed: same stored state) job to `runAt`. */
  async reschedule(id: string, runAt: number): Promise<boolean> {
    const r = await this.db.updateTable(TABLE).set({ run_at: runAt }).where('id', '=', id).where('state', '=', 'waiting').executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async get(id: string): Promise<JobRecord | null> {
    const row = (await this.db.selectFrom(TABLE).selectAll().where('id', '=', id).executeTakeFirst()) as JobRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Newest first, keyset on (created_at, id). */
  async list(opts: { state?: JobState; limit?: number; cursor?: string }): Promise<JobList> {
    const now = Date.now();
    const limit = clampLimit(opts.limit);
    const state = opts.state;
    if (state !== undefined && !JOB_STATES.includes(state)) throw new TypeError(`Unknown job state "${state}"`);
    const after = opts.cursor ? decodeCursor(opts.cursor, isListCursor) : null;
    const rows = (await this.db
      .selectFrom(TABLE)
      .selectAll()
      .$if(state === 'waiting', (q) => q.where('state', '=', 'waiting').where('run_at', '<=', now))
      .$if(state === 'delayed', (q) => q.where('state', '=', 'waiting').where('run_at', '>', now))
      .$if(state === 'active' || state === 'completed' || state === 'dead', (q) => q.where('state', '=', state!))
      .$if(after !== null, (q) =>
        q.where((eb) =>
          eb.or([eb('created_at', '<', after![0]), eb.and([eb('created_at', '=', after![0]), eb('id', '<', after![1])])]),
        ),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute()) as JobRow[];
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    return {
      data: page.map((r) => toRecord(r, now)),
      nextCursor: more ? encodeCursor([Number(last.created_at), last.id] satisfies ListCursor) : null,
    };
  }

  async counts(): Promise<Record<JobState, number>> {
    const now = Date.now();
    const bucket = sql<string>`case when state = 'waiting' and run_at > ${now} then 'delayed' else state end`;
    const rows = await this.db
      .selectFrom(TABLE)
      .select([bucket.as('bucket'), (eb) => eb.fn.countAll().as('n')])
      .groupBy(sql`1`)
      .execute();
    const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const r of rows) out[r.bucket as JobState] = Number(r.n);
    return out;
  }

  /** When the longest-waiting due job became due (epoch ms), or null when none waits. */
  async oldestDue(): Promise<number | null> {
    const row = await this.db
      .selectFrom(TABLE)
      .select((eb) => eb.fn.min('run_at').as('at'))
      .where('state', '=', 'waiting')
      .where('run_at', '<=', Date.now())
      .executeTakeFirst();
    return row?.at == null ? null : Number(row.at);
  }

  /** Deletes completed jobs finished more than `olderThanMs` ago; returns how many. */
  async prune(olderThanMs: number): Promise<number> {
    const r = await this.db
      .deleteFrom(TABLE)
      .where('state', '=', 'completed')
      .where('finished_at', '<', Date.now() - olderThanMs)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
