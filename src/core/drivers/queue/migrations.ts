import type { Kysely, Migration } from 'kysely';

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
};
