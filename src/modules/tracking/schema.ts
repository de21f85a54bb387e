import type { Kysely, Migration } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';

/**
 * Tables of the tracking module. No IP address is stored anywhere: the visitor is a daily hash
 * (visitor.ts). Dashboards read the rollups (`tracking_hourly`, `tracking_daily`), never the raw events.
 * Hours are 'YYYY-MM-DDTHH' and days 'YYYY-MM-DD' (UTC) as text: both dialects order them alike.
 */

/** One raw event, appended in batches. */
export interface EventRow {
  id: string;
  at: Timestamp;
  hour: string;
  visitor: string;
  /** pageview | click | custom | engagement | api */
  type: string;
  name: string | null;
  path: string;
  referrer: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  country: string | null;
  /** Visible time reported by an engagement event (ms). */
  duration_ms: number | null;
  /** JSON object of string, number or boolean values; null when none. */
  props: string | null;
  user_id: string | null;
  guest_id: string | null;
}

/** The daily salt of the visitor hash, shared by every replica; deleted once its day is over. */
export interface SaltRow {
  day: string;
  salt: string;
}

/** One visitor on one day: what bounce rate and entry pages are computed from, incrementally. */
export interface DayVisitorRow {
  day: string;
  visitor: string;
  /** Every event of the day (0 before the first: tells a new visitor from a returning one). */
  events: number;
  pageviews: number;
  interactions: number;
  first_hour: string;
  entry_path: string | null;
}

/** Who was seen in an hour (exact unique visitors of any hour range). */
export interface HourVisitorRow {
  hour: string;
  visitor: string;
}

/** Who was seen on a day for one dimension value (exact unique visitors per page, referrer… per day). */
export interface DimVisitorRow {
  day: string;
  dim: string;
  value: string;
  visitor: string;
}

/**
 * Counters per hour (or day) and dimension value. dim '' value '' holds the totals; other dims:
 * page, referrer, utm_source, utm_medium, utm_campaign, country, event, prop ('event|key|value').
 * `visitors` counts a visitor once per day and value, in the hour first seen: summing over the
 * hours of a day gives its exact unique visitors. `hour_visitors` (totals only) is the exact
 * unique visitors of that hour.
 */
export interface RollupRow {
  views: number;
  visitors: number;
  hour_visitors: number;
  events: number;
  engaged_ms: number;
  entries: number;
  bounces: number;
}
export interface HourlyRow extends RollupRow {
  hour: string;
  dim: string;
  value: string;
}
export interface DailyRow extends RollupRow {
  day: string;
  dim: string;
  value: string;
}

/** Last time each visitor was seen (live visitors). */
export interface LiveRow {
  visitor: string;
  path: string;
  last_ms: number;
}

export interface TrackingTables {
  tracking_events: EventRow;
  tracking_salts: SaltRow;
  tracking_day_visitors: DayVisitorRow;
  tracking_hour_visitors: HourVisitorRow;
  tracking_dim_visitors: DimVisitorRow;
  tracking_hourly: HourlyRow;
  tracking_daily: DailyRow;
  tracking_live: LiveRow;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

async function rollupTable(db: AnyDb, name: string, key: 'hour' | 'day') {
  await db.schema
    .createTable(name)
    .addColumn(key, 'varchar(13)', (c) => c.notNull())
    .addColumn('dim', 'varchar(16)', (c) => c.notNull())
    .addColumn('value', 'varchar(300)', (c) => c.notNull())
    .addColumn('views', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('visitors', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('hour_visitors', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('events', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('engaged_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('entries', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bounces', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint(`${name}_pk`, [key, 'dim', 'value'])
    .execute();
  // Breakdowns read one dimension over a range of hours or days.
  await db.schema.createIndex(`${name}_dim`).on(name).columns(['dim', key]).execute();
}

export const migrations: Record<string, Migration> = {
  '0001_init': {
    async up(db: AnyDb) {
      const t = columnTypes(db);
      await db.schema
        .createTable('tracking_events')
        .addColumn('id', 'varchar(28)', (c) => c.primaryKey())
        .addColumn('at', t.timestamp, (c) => c.notNull())
        .addColumn('hour', 'varchar(13)', (c) => c.notNull())
        .addColumn('visitor', 'varchar(32)', (c) => c.notNull())
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('name', 'varchar(100)')
        .addColumn('path', 'varchar(500)', (c) => c.notNull())
        .addColumn('referrer', 'varchar(255)')
        .addColumn('utm_source', 'varchar(100)')
        .addColumn('utm_medium', 'varchar(100)')
        .addColumn('utm_campaign', 'varchar(100)')
        .addColumn('utm_term', 'varchar(100)')
        .addColumn('utm_content', 'varchar(100)')
        .addColumn('country', 'varchar(2)')
        .addColumn('duration_ms', 'integer')
        .addColumn('props', 'text')
        .addColumn('user_id', 'varchar(64)')
        .addColumn('guest_id', 'varchar(64)')
        .execute();
      // Retention deletes and funnels read by time; guest merges find a guest's events.
      await db.schema.createIndex('tracking_events_at').on('tracking_events').column('at').execute();
      await db.schema.createIndex('tracking_events_guest').on('tracking_events').column('guest_id').execute();
      await db.schema.createIndex('tracking_events_user').on('tracking_events').column('user_id').execute();

      await db.schema
        .createTable('tracking_salts')
        .addColumn('day', 'varchar(10)', (c) => c.primaryKey())
        .addColumn('salt', 'varchar(64)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tracking_day_visitors')
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('visitor', 'varchar(32)', (c) => c.notNull())
        .addColumn('events', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('pageviews', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('interactions', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('first_hour', 'varchar(13)', (c) => c.notNull())
        .addColumn('entry_path', 'varchar(500)')
        .addPrimaryKeyConstraint('tracking_day_visitors_pk', ['day', 'visitor'])
        .execute();
      await db.schema
        .createTable('tracking_hour_visitors')
        .addColumn('hour', 'varchar(13)', (c) => c.notNull())
        .addColumn('visitor', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('tracking_hour_visitors_pk', ['hour', 'visitor'])
        .execute();
      await db.schema
        .createTable('tracking_dim_visitors')
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('dim', 'varchar(16)', (c) => c.notNull())
        .addColumn('value', 'varchar(300)', (c) => c.notNull())
        .addColumn('visitor', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('tracking_dim_visitors_pk', ['day', 'dim', 'value', 'visitor'])
        .execute();
      await rollupTable(db, 'tracking_hourly', 'hour');
      await rollupTable(db, 'tracking_daily', 'day');
      await db.schema
        .createTable('tracking_live')
        .addColumn('visitor', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('path', 'varchar(500)', (c) => c.notNull())
        .addColumn('last_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tracking_live_last').on('tracking_live').column('last_ms').execute();
    },
    async down(db: AnyDb) {
      for (const table of ['tracking_live', 'tracking_daily', 'tracking_hourly', 'tracking_dim_visitors', 'tracking_hour_visitors', 'tracking_day_visitors', 'tracking_salts', 'tracking_events']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  },
};
