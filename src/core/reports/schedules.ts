import type { Kysely, Migration } from 'kysely';
import { Cron } from 'croner';
import { columnTypes, type Timestamp } from '../db/dialect.js';

export interface ReportSchedulesTable {
  id: string;
  report: string;
  tenant_id: string | null;
  /** croner pattern, UTC. */
  schedule: string;
  /** JSON array of email addresses. */
  recipients: string;
  locale: string;
  next_run_at: Timestamp;
  last_run_at: Timestamp | null;
  last_file_id: string | null;
  created_by: string;
  created_at: Timestamp;
}

export interface ReportTables {
  neptuno_report_schedules: ReportSchedulesTable;
}

export const reportMigrations: Record<string, Migration> = {
  '0001_report_schedules': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>) {
      const t = columnTypes(db);
      await db.schema
        .createTable('neptuno_report_schedules')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('report', 'varchar(100)', (c) => c.notNull())
        .addColumn('tenant_id', 'varchar(64)')
        .addColumn('schedule', 'varchar(100)', (c) => c.notNull())
        .addColumn('recipients', 'text', (c) => c.notNull())
        .addColumn('locale', 'varchar(5)', (c) => c.notNull())
        .addColumn('next_run_at', t.timestamp, (c) => c.notNull())
        .addColumn('last_run_at', t.timestamp)
        .addColumn('last_file_id', 'varchar(100)')
        .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('neptuno_report_schedules_due').on('neptuno_report_schedules').columns(['next_run_at']).execute();
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async down(db: Kysely<any>) {
      await db.schema.dropTable('neptuno_report_schedules').ifExists().execute();
    },
  },
};

/** The next run of a croner pattern (UTC) after `from`, or null for a pattern that never runs again or is invalid. */
export function nextRun(pattern: string, from: Date): Date | null {
  try {
    return new Cron(pattern, { paused: true, timezone: 'UTC' }).nextRun(from) ?? null;
  } catch {
    return null;
  }
}
