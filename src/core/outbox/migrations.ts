import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/**
 * The transactional outbox. One row per (event, subscribed handler) — a "delivery", so each
 * handler's progress is recorded on its own — and, with BullMQ, one row per job enqueued inside
 * a transaction until it has been handed to Redis. Rows are written by the transaction that
 * emits, so they exist if and only if it committed. Times are epoch ms (BIGINT).
 *
 * `seq` orders the deliveries of one (handler, key); `relayed_at` is set once the row's job is
 * in the queue (at insert with the SQL queue, whose job row is written in the same transaction);
 * `lease_token`/`lease_until` let one process at a time run a delivery; `finished_at` records
 * that the handler finished, so a redelivery skips it.
 */
export const outboxMigrations: Record<string, Migration> = {
  outbox_0001_outbox: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      await db.schema
        .createTable('neptuno_tx_outbox')
        // SQLite: INTEGER PRIMARY KEY is the rowid, increasing; PostgreSQL: a sequence.
        .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) => c.primaryKey())
        .addColumn('id', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('event_id', 'varchar(64)')
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('handler', 'varchar(100)')
        .addColumn('key', 'varchar(255)')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('options', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('relayed_at', 'bigint')
        .addColumn('lease_token', 'varchar(64)')
        .addColumn('lease_until', 'bigint')
        .addColumn('finished_at', 'bigint')
        .execute();
      // A handler's pending deliveries of one key, in order.
      await db.schema.createIndex('neptuno_tx_outbox_pending').on('neptuno_tx_outbox').columns(['handler', 'key', 'finished_at', 'seq']).execute();
      // The relay's scan for rows not yet in the queue.
      await db.schema.createIndex('neptuno_tx_outbox_relay').on('neptuno_tx_outbox').columns(['relayed_at', 'seq']).execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.dropTable('neptuno_tx_outbox').ifExists().execute();
    },
  },
  outbox_0002_backlog: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      // The backlog metric's read: only unfinished deliveries are indexed, so it stays small.
      await db.schema
        .createIndex('neptuno_tx_outbox_backlog')
        .on('neptuno_tx_outbox')
        .column('created_at')
        .where(sql.ref('finished_at'), 'is', null)
        .where(sql.ref('kind'), '=', 'delivery')
        .execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('neptuno_tx_outbox_backlog').ifExists().execute();
    },
  },
};
