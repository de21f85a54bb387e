import { sql, type Migration } from 'kysely';
import type { Db, Dialect } from '../db/database.js';
import { columnTypes, timestampParam, toIso, typedDb, type Timestamp } from '../db/dialect.js';
import { paginate, type PageResult } from '../db/paginate.js';
import type { AuditActorType, AuditQuery, AuditRecord } from './types.js';

/**
 * `neptuno_audit_log`: append-only. Nothing in Neptuno updates a row; the only delete is the
 * retention prune (oldest first, by age). Ids are time-ordered (ids.ts), so the list pages by id.
 */
export const auditMigrations: Record<string, Migration> = {
  audit_0001_audit_log: {
    async up(db) {
      const t = columnTypes(db);
      await db.schema
        .createTable('neptuno_audit_log')
        .ifNotExists()
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('occurred_at', t.timestamp, (c) => c.notNull())
        .addColumn('action', 'varchar(100)', (c) => c.notNull())
        .addColumn('actor_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(255)')
        .addColumn('target_type', 'varchar(100)')
        .addColumn('target_id', 'varchar(255)')
        .addColumn('before', 'text')
        .addColumn('after', 'text')
        .addColumn('ip', 'varchar(64)')
        .addColumn('request_id', 'varchar(128)')
        .execute();
      await db.schema.createIndex('neptuno_audit_log_time').on('neptuno_audit_log').columns(['occurred_at']).execute();
      await db.schema.createIndex('neptuno_audit_log_actor').on('neptuno_audit_log').columns(['actor_id', 'id']).execute();
      await db.schema.createIndex('neptuno_audit_log_action').on('neptuno_audit_log').columns(['action', 'id']).execute();
      await db.schema.createIndex('neptuno_audit_log_target').on('neptuno_audit_log').columns(['target_type', 'target_id', 'id']).execute();
    },
    async down(db) {
      await db.schema.dropTable('neptuno_audit_log').ifExists().execute();
    },
  },
};

export interface AuditRow {
  id: string;
  occurred_at: Timestamp;
  action: string;
  actor_type: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  before: string | null;
  after: string | null;
  ip: string | null;
  request_id: string | null;
}

export interface AuditTables {
  neptuno_audit_log: AuditRow;
}

const parse = (text: string | null) => (text === null ? null : (JSON.parse(text) as Record<string, unknown>));

export function toRecord(r: AuditRow): AuditRecord {
  return {
    id: r.id,
    occurredAt: toIso(r.occurred_at),
    action: r.action,
    actor: { type: r.actor_type as AuditActorType, id: r.actor_id },
    target: r.target_type === null ? null : { type: r.target_type, id: r.target_id },
    before: parse(r.before),
    after: parse(r.after),
    ip: r.ip,
    requestId: r.request_id,
  };
}

/** Lists entries newest first, filtered; keyset-paginated by id. */
export async function listAudit(db: Db, dialect: Dialect, q: AuditQuery): Promise<PageResult<AuditRecord>> {
  let query = typedDb<AuditTables>(db).selectFrom('neptuno_audit_log').selectAll();
  if (q.actor !== undefined) query = query.where('actor_id', '=', q.actor);
  if (q.actorType !== undefined) query = query.where('actor_type', '=', q.actorType);
  if (q.action !== undefined) {
    if (q.action.endsWith('.*')) {
      // A prefix match on a known-safe pattern (routes.ts allows [a-z0-9_.-]): no LIKE wildcards in it.
      query = query.where('action', 'like', `${q.action.slice(0, -1)}%`);
    } else query = query.where('action', '=', q.action);
  }
  if (q.target !== undefined) {
    const colon = q.target.indexOf(':');
    if (colon < 0) query = query.where('target_type', '=', q.target);
    else query = query.where('target_type', '=', q.target.slice(0, colon)).where('target_id', '=', q.target.slice(colon + 1));
  }
  if (q.from) query = query.where(sql<boolean>`occurred_at >= ${timestampParam(dialect, q.from.toISOString())}`);
  if (q.to) query = query.where(sql<boolean>`occurred_at < ${timestampParam(dialect, q.to.toISOString())}`);
  const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['id'], key: (r) => [r.id] });
  return { data: page.data.map(toRecord), nextCursor: page.nextCursor };
}

/**
 * Deletes entries older than `days`, in batches (a big first prune never holds the database for
 * long). Returns how many it deleted.
 */
export async function pruneAudit(db: Db, dialect: Dialect, days: number, batch = 1000): Promise<number> {
  const cutoff = new Date(Date.now() - days * 86_400_000).toISOString();
  let total = 0;
  for (;;) {
    const ids = db
      .selectFrom('neptuno_audit_log')
      .select('id')
      .where(sql<boolean>`occurred_at < ${timestampParam(dialect, cutoff)}`)
      .orderBy('id')
      .limit(batch);
    const res = await db.deleteFrom('neptuno_audit_log').where('id', 'in', ids).executeTakeFirst();
    const n = Number(res.numDeletedRows ?? 0);
    total += n;
    if (n < batch) return total;
  }
}
