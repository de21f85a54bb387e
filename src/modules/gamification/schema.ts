import { sql, type Kysely, type Migration } from 'kysely';
import { columnTypes } from '../../core/db/dialect.js';

/**
 * Tables of the gamification module. Every row is keyed by an actor key `<type>:<id>`
 * (`guest:…`, `user:…`), so guests and users play alike and a merge rewrites one column.
 * Timestamps are ISO 8601 UTC text in both dialects (they compare correctly as text).
 */

/** Admin-editable definitions; `source` says whether yaml may still update the row. */
export interface DefinitionRow {
  kind: string;
  key: string;
  body: string;
  source: 'yaml' | 'admin';
  /** 1: deleted by an admin (a tombstone, so the yaml seed does not bring it back). */
  deleted: number;
  updated_at: string;
}

/** Points per actor and period (`all`, `w:2025-W47`, `m:2025-11`). The `all` row is the actor's lock. */
export interface TotalRow {
  actor: string;
  period: string;
  points: number;
  updated_at: string;
}

/** History: every awarded event and reward. */
export interface EventRow {
  id?: number;
  actor: string;
  type: string;
  /** The client's idempotency id; unique per actor. */
  client_id: string | null;
  points: number;
  /** 'event' | 'badge' | 'challenge' */
  source: string;
  ref: string | null;
  created_at: string;
}

/** Awarded-event counters per actor, type and period (`all` or `d:YYYY-MM-DD`). */
export interface CountRow {
  actor: string;
  type: string;
  period: string;
  count: number;
  last_at: string;
}

export interface StreakRow {
  actor: string;
  current: number;
  longest: number;
  last_day: string;
  freezes_left: number;
}

export interface BadgeRow {
  actor: string;
  badge: string;
  earned_at: string;
}

export interface ChallengeRow {
  actor: string;
  challenge: string;
  /** JSON array of counts, one per step. */
  progress: string;
  completed_at: string | null;
  updated_at: string;
}

export interface GamificationTables {
  gam_definitions: DefinitionRow;
  gam_totals: TotalRow;
  gam_events: EventRow;
  gam_counts: CountRow;
  gam_streaks: StreakRow;
  gam_badges: BadgeRow;
  gam_challenges: ChallengeRow;
  gam_merges: { guest_id: string; user_id: string; merged_at: string };
}

export type GamDb = Kysely<GamificationTables>;

const ACTOR = 'varchar(300)';
const TS = 'varchar(30)';

export const migrations: Record<string, Migration> = {
  '0001_gamification': {
    async up(db) {
      await db.schema
        .createTable('gam_definitions')
        .addColumn('kind', 'varchar(20)', (c) => c.notNull())
        .addColumn('key', 'varchar(64)', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('source', 'varchar(10)', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', TS, (c) => c.notNull())
        .addPrimaryKeyConstraint('gam_definitions_pk', ['kind', 'key'])
        .execute();

      await db.schema
        .createTable('gam_totals')
        .addColumn('actor', ACTOR, (c) => c.notNull())
        .addColumn('period', 'varchar(16)', (c) => c.notNull())
        .addColumn('points', 'integer', (c) => c.notNull())
        .addColumn('updated_at', TS, (c) => c.notNull())
        .addPrimaryKeyConstraint('gam_totals_pk', ['actor', 'period'])
        .execute();
      // Leaderboards: top N walks this index in order; own rank counts a range of it.
      // Ties go to whoever got there first (updated_at ascending).
      await sql`create index gam_totals_board_idx on gam_totals (period, points desc, updated_at, actor)`.execute(db);

      await db.schema
        .createTable('gam_events')
        .addColumn('id', columnTypes(db).autoIncrement, (c) => c.primaryKey())
        .addColumn('actor', ACTOR, (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('client_id', 'varchar(64)')
        .addColumn('points', 'integer', (c) => c.notNull())
        .addColumn('source', 'varchar(16)', (c) => c.notNull())
        .addColumn('ref', 'varchar(64)')
        .addColumn('created_at', TS, (c) => c.notNull())
        .execute();
      // Idempotency: a client id awards once per actor (NULLs are distinct in both dialects).
      await db.schema.createIndex('gam_events_client_uq').on('gam_events').columns(['actor', 'client_id']).unique().execute();
      await db.schema.createIndex('gam_events_actor_idx').on('gam_events').columns(['actor', 'id']).execute();

      await db.schema
        .createTable('gam_counts')
        .addColumn('actor', ACTOR, (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('period', 'varchar(16)', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('last_at', TS, (c) => c.notNull())
        .addPrimaryKeyConstraint('gam_counts_pk', ['actor', 'type', 'period'])
        .execute();
      await db.schema.createIndex('gam_counts_period_idx').on('gam_counts').column('period').execute();

      await db.schema
        .createTable('gam_streaks')
        .addColumn('actor', ACTOR, (c) => c.primaryKey())
        .addColumn('current', 'integer', (c) => c.notNull())
        .addColumn('longest', 'integer', (c) => c.notNull())
        .addColumn('last_day', 'varchar(10)', (c) => c.notNull())
        .addColumn('freezes_left', 'integer', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('gam_badges')
        .addColumn('actor', ACTOR, (c) => c.notNull())
        .addColumn('badge', 'varchar(64)', (c) => c.notNull())
        .addColumn('earned_at', TS, (c) => c.notNull())
        .addPrimaryKeyConstraint('gam_badges_pk', ['actor', 'badge'])
        .execute();

      await db.schema
        .createTable('gam_challenges')
        .addColumn('actor', ACTOR, (c) => c.notNull())
        .addColumn('challenge', 'varchar(64)', (c) => c.notNull())
        .addColumn('progress', 'text', (c) => c.notNull())
        .addColumn('completed_at', TS)
        .addColumn('updated_at', TS, (c) => c.notNull())
        .addPrimaryKeyConstraint('gam_challenges_pk', ['actor', 'challenge'])
        .execute();

      // One row per merged guest: makes the guest.merged handler idempotent.
      await db.schema
        .createTable('gam_merges')
        .addColumn('guest_id', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('merged_at', TS, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('gam_merges_user_idx').on('gam_merges').column('user_id').execute();
    },
    async down(db) {
      for (const t of ['gam_merges', 'gam_challenges', 'gam_badges', 'gam_streaks', 'gam_counts', 'gam_events', 'gam_totals', 'gam_definitions']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
};
