import { sql, type Kysely, type Migration } from 'kysely';
import { dialectOf } from '../../db/dialect.js';

/** PostgreSQL channel the job table notifies on insert; idle workers LISTEN on it. */
export const JOBS_CHANNEL = 'neptuno_jobs';

/**
 * The SQL queue's table. Times are epoch milliseconds in BIGINT (INTEGER on SQLite) so
 * "is it due?" is a plain numeric comparison on both dialects; the payload is JSON text.
 * `state` holds waiting | active | completed | dead: "delayed" is not stored, it is a
 * waiting job whose run_at is still in the future, so no promotion step is needed.
 */
export const queueMigrations: Record<string, Migration> = {
  queue_0001_jobs: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('neptuno_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('backoff_ms', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('run_at', 'bigint', (c) => c.notNull())
        .addColumn('locked_until', 'bigint')
        // Fencing token of the current claim: a worker whose lease expired cannot finish a job
        // that another worker has claimed since.
        .addColumn('lock_token', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      // Claiming scans due jobs by state and time.
      await db.schema.createIndex('neptuno_jobs_due').on('neptuno_jobs').columns(['state', 'run_at']).execute();
      // Listing is newest first with a (created_at, id) keyset.
      await db.schema.createIndex('neptuno_jobs_created').on('neptuno_jobs').columns(['created_at', 'id']).execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.dropTable('neptuno_jobs').ifExists().execute();
    },
  },
  queue_0002_notify: {
    // PostgreSQL: every INSERT statement on the table notifies idle workers. NOTIFY is
    // transactional, so a job written inside a request's transaction wakes them when (and only
    // if) it commits; one notification per statement, and PostgreSQL folds repeats within a
    // transaction, so enqueueing costs no extra round trip. SQLite has no such thing (it polls).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      if (dialectOf(db) !== 'postgres') return;
      await sql`create or replace function neptuno_jobs_notify() returns trigger language plpgsql as $$
        begin perform pg_notify(${sql.lit(JOBS_CHANNEL)}, ''); return null; end $$`.execute(db);
      await sql`create trigger neptuno_jobs_notify after insert on neptuno_jobs for each statement execute function neptuno_jobs_notify()`.execute(db);
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      if (dialectOf(db) !== 'postgres') return;
      await sql`drop trigger if exists neptuno_jobs_notify on neptuno_jobs`.execute(db);
      await sql`drop function if exists neptuno_jobs_notify()`.execute(db);
    },
  },
};
