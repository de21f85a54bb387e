import type { Kysely, Migration, Transaction } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';
import type { TxConsequences } from '../../core/outbox/outbox.js';

export type ChangeFreq = 'always' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'never';
export const CHANGE_FREQS: readonly ChangeFreq[] = ['always', 'hourly', 'daily', 'weekly', 'monthly', 'yearly', 'never'];

/** One page's metadata in one locale. `open_graph`, `twitter` and `alternates` are JSON text. */
export interface SeoPageRow {
  id: string;
  /** Normalized (paths.ts): leading slash, no trailing slash, percent-encoded, no fragment. */
  path: string;
  locale: string;
  title: string | null;
  description: string | null;
  canonical_url: string | null;
  image: string | null;
  open_graph: string | null;
  twitter: string | null;
  alternates: string | null;
  /** 1 or 0. */
  noindex: number;
  priority: number | null;
  changefreq: ChangeFreq | null;
  lastmod: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One row (`name = 'pages'`): a counter bumped by every change, read by replicas that missed a message. */
export interface SeoStateRow {
  name: string;
  generation: number;
  updated_at: Timestamp;
}

export interface SeoTables {
  seo_pages: SeoPageRow;
  seo_state: SeoStateRow;
}
export type SeoDb = Kysely<SeoTables>;
export type SeoTrx = Transaction<SeoTables> & TxConsequences;

export const migrations: Record<string, Migration> = {
  '0001_seo': {
    async up(db) {
      const ts = columnTypes(db).timestamp;
      await db.schema
        .createTable('seo_pages')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('path', 'varchar(2048)', (c) => c.notNull())
        .addColumn('locale', 'varchar(35)', (c) => c.notNull())
        .addColumn('title', 'varchar(300)')
        .addColumn('description', 'varchar(1000)')
        .addColumn('canonical_url', 'varchar(2048)')
        .addColumn('image', 'varchar(2048)')
        .addColumn('open_graph', 'text')
        .addColumn('twitter', 'text')
        .addColumn('alternates', 'text')
        .addColumn('noindex', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('priority', 'double precision')
        .addColumn('changefreq', 'varchar(10)')
        .addColumn('lastmod', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addUniqueConstraint('seo_pages_path_locale_uq', ['path', 'locale'])
        .execute();
      await db.schema
        .createTable('seo_state')
        .addColumn('name', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.insertInto('seo_state').values({ name: 'pages', generation: 1, updated_at: new Date().toISOString() }).execute();
    },
    async down(db) {
      await db.schema.dropTable('seo_state').ifExists().execute();
      await db.schema.dropTable('seo_pages').ifExists().execute();
    },
  },
};
