import type { Kysely, Migration } from 'kysely';

/**
 * The development outbox: every email the outbox mailer "sends" is stored here so a developer
 * (or a test, or the admin dashboard) can read it without an SMTP server.
 * created_at is epoch milliseconds (bigint) so ordering is numeric on both dialects.
 */
export const mailMigrations: Record<string, Migration> = {
  mail_0001_outbox: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('neptuno_outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('to_address', 'text', (c) => c.notNull())
        .addColumn('from_address', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text_body', 'text', (c) => c.notNull())
        .addColumn('html_body', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('neptuno_outbox_created').on('neptuno_outbox').columns(['created_at', 'id']).execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.dropTable('neptuno_outbox').ifExists().execute();
    },
  },
  // Extra header fields (List-Unsubscribe…) as JSON, so development and tests see them too.
  mail_0002_outbox_headers: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema.alterTable('neptuno_outbox').addColumn('headers', 'text').execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.alterTable('neptuno_outbox').dropColumn('headers').execute();
    },
  },
};
