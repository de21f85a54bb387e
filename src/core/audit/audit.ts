import type { Database, Trx } from '../db/database.js';
import { newId } from '../ids.js';
import type { Actor } from '../http/access.js';
import { currentRequest } from './context.js';
import { Redactor } from './redact.js';
import { listAudit, pruneAudit } from './store.js';
import type { AuditActorRef, AuditEntry, AuditQuery, AuditRecord } from './types.js';
import type { PageResult } from '../db/paginate.js';

/** `audit.ip`: keep client addresses whole, truncated to their network, or not at all. */
export type AuditIpMode = 'full' | 'truncated' | 'none';

export interface AuditOptions {
  database: Database;
  ip: AuditIpMode;
  redactKeys?: readonly string[];
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

/** 203.0.113.7 → 203.0.113.0; 2001:db8:1:2::5 → 2001:db8:1:: (a /24 and a /48: the network, not the person). */
export function truncateIp(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+)\.\d+$/i.exec(ip);
  if (v4) return `${v4[1]}.0`;
  if (ip.includes(':')) {
    const head = ip.split('::')[0].split(':').filter(Boolean).slice(0, 3);
    return `${head.join(':')}::`;
  }
  return ip;
}

function actorRef(actor: AuditActorRef | Actor | null | undefined): AuditActorRef | undefined {
  if (actor === undefined) return undefined;
  if (actor === null) return { type: 'anonymous', id: null };
  return { type: actor.type, id: actor.id ?? null };
}

/**
 * `ctx.audit`: who did what to which thing, written in the same transaction as the change.
 *
 * @example
 * await ctx.tx(async (trx) => {
 *   await trx.updateTable('user').set({ role }).where('id', '=', userId).execute();
 *   await ctx.audit.record({ action: 'users.role_changed', target: { type: 'user', id: userId }, before: { role: old }, after: { role } }, trx);
 * });
 */
export class Audit {
  private readonly redactor: Redactor;

  constructor(private readonly opts: AuditOptions) {
    this.redactor = new Redactor(opts.redactKeys);
  }

  /**
   * Writes one entry. With `trx`, in that transaction; without, in the transaction open in this
   * async context (`ctx.tx` around the call), else on its own. So the entry commits if and only
   * if the change it describes does. `actor`, `ip` and `requestId` default to the current
   * request's (see `fromRequest`); outside a request the actor is `system`.
   */
  async record(entry: AuditEntry, trx?: Trx): Promise<string> {
    if (!ACTION.test(entry.action) || entry.action.length > 100) {
      throw new TypeError(`Audit action "${entry.action}" must look like <module>.<what> (lowercase, dots, underscores)`);
    }
    const req = this.fromRequest();
    const actor = actorRef(entry.actor) ?? (await req.actor());
    const ip = entry.ip !== undefined ? entry.ip : req.ip;
    const id = newId();
    const row = {
      id,
      occurred_at: new Date().toISOString(),
      action: entry.action,
      actor_type: actor.type,
      actor_id: actor.id === null ? null : String(actor.id).slice(0, 255),
      target_type: entry.target ? entry.target.type.slice(0, 100) : null,
      target_id: entry.target?.id == null ? null : String(entry.target.id).slice(0, 255),
      before: this.json(entry.before),
      after: this.json(entry.after),
      ip: this.keepIp(ip),
      request_id: (entry.requestId !== undefined ? entry.requestId : req.requestId)?.slice(0, 128) ?? null,
    };
    const handle = trx ?? (this.opts.database.openTransaction()?.trx as Trx | undefined);
    await (handle ?? this.opts.database.db).insertInto('neptuno_audit_log').values(row).execute();
    return id;
  }

  /**
   * The current request's actor, IP and request id (what `record` fills in by itself). The actor
   * is the one the request has already resolved (guards resolve it): resolving it here could
   * query the database from inside the caller's transaction. Without one: `anonymous`; outside a
   * request: `system`.
   */
  fromRequest(): { actor(): Promise<AuditActorRef>; ip: string | null; requestId: string | null } {
    const request = currentRequest();
    if (!request) return { actor: async () => ({ type: 'system', id: null }), ip: null, requestId: null };
    return {
      actor: async () => {
        try {
          return actorRef((await request._actor) ?? null)!;
        } catch {
          // A credential the kernel refused (CSRF, scope): the caller is nobody we know.
          return { type: 'anonymous', id: null };
        }
      },
      ip: request.ip ?? null,
      requestId: String(request.id),
    };
  }

  /** Entries newest first, filtered (GET /v1/admin/audit). */
  list(query: AuditQuery): Promise<PageResult<AuditRecord>> {
    return listAudit(this.opts.database.db, this.opts.database.dialect, query);
  }

  /** Deletes entries older than `days` (the `core.audit-prune` cron). */
  prune(days: number): Promise<number> {
    return pruneAudit(this.opts.database.db, this.opts.database.dialect, days);
  }

  private json(value: Record<string, unknown> | null | undefined): string | null {
    const redacted = this.redactor.apply(value);
    return redacted === null ? null : JSON.stringify(redacted);
  }

  private keepIp(ip: string | null | undefined): string | null {
    if (!ip || this.opts.ip === 'none') return null;
    return (this.opts.ip === 'truncated' ? truncateIp(ip) : ip).slice(0, 64);
  }
}
