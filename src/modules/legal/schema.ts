import type { Kysely, Migration, Transaction } from 'kysely';
import { columnTypes, type Timestamp } from '../../core/db/dialect.js';
import type { TxConsequences } from '../../core/outbox/outbox.js';

/** One published version of a document. `title` and `content` are JSON text `{ es, en }`. */
export interface LegalDocumentRow {
  id: string;
  slug: string;
  version: string;
  title: string;
  /** Null when the text lives at `url`. */
  content: string | null;
  url: string | null;
  /** 1 or 0: acceptance needed before guarded routes answer. */
  required: number;
  effective_at: Timestamp;
  published_at: Timestamp;
  published_by: string | null;
}

/** One acceptance of one version by one actor; unique per (document, actor), so accepting twice records once. */
export interface LegalConsentRow {
  id: string;
  document_id: string;
  slug: string;
  version: string;
  actor_type: 'user' | 'guest';
  actor_id: string;
  accepted_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

/** `name = 'documents'`: bumped by every publish, read by replicas that missed the message. */
export interface LegalStateRow {
  name: string;
  generation: number;
  updated_at: Timestamp;
}

export interface LegalTables {
  legal_documents: LegalDocumentRow;
  legal_consents: LegalConsentRow;
  legal_state: LegalStateRow;
}
export type LegalDb = Kysely<LegalTables>;
export type LegalTrx = Transaction<LegalTables> & TxConsequences;

export const migrations: Record<string, Migration> = {
  '0001_legal': {
    async up(db) {
      const ts = columnTypes(db).timestamp;
      await db.schema
        .createTable('legal_documents')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('slug', 'varchar(64)', (c) => c.notNull())
        .addColumn('version', 'varchar(40)', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('content', 'text')
        .addColumn('url', 'varchar(2048)')
        .addColumn('required', 'integer', (c) => c.notNull())
        .addColumn('effective_at', ts, (c) => c.notNull())
        .addColumn('published_at', ts, (c) => c.notNull())
        .addColumn('published_by', 'varchar(255)')
        .addUniqueConstraint('legal_documents_slug_version_uq', ['slug', 'version'])
        .execute();
      await db.schema.createIndex('legal_documents_slug_effective_idx').on('legal_documents').columns(['slug', 'effective_at']).execute();
      await db.schema
        .createTable('legal_consents')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('document_id', 'varchar(40)', (c) => c.notNull().references('legal_documents.id'))
        .addColumn('slug', 'varchar(64)', (c) => c.notNull())
        .addColumn('version', 'varchar(40)', (c) => c.notNull())
        .addColumn('actor_type', 'varchar(10)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('accepted_at', ts, (c) => c.notNull())
        .addColumn('ip', 'varchar(64)')
        .addColumn('user_agent', 'varchar(500)')
        .addUniqueConstraint('legal_consents_document_actor_uq', ['document_id', 'actor_type', 'actor_id'])
        .execute();
      await db.schema.createIndex('legal_consents_actor_idx').on('legal_consents').columns(['actor_type', 'actor_id']).execute();
      await db.schema
        .createTable('legal_state')
        .addColumn('name', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.insertInto('legal_state').values({ name: 'documents', generation: 1, updated_at: new Date().toISOString() }).execute();
    },
    async down(db) {
      for (const t of ['legal_state', 'legal_consents', 'legal_documents']) await db.schema.dropTable(t).ifExists().execute();
    },
  },
};
