import type { Actor } from '../http/access.js';

/**
 * Who did it. An `Actor` resolved by the kernel (user, guest, service) is accepted as is; only
 * its type and id are kept. `system` is the application itself (a cron, a job, the CLI);
 * `anonymous` is an unauthenticated caller (a failed sign-in).
 */
export type AuditActorType = 'user' | 'guest' | 'service' | 'system' | 'anonymous';

export interface AuditActorRef {
  type: AuditActorType;
  /** An id, never a name or an email (`null` for `anonymous` and, by default, `system`). */
  id: string | null;
}

/** What was acted on: a kind of thing and its id (`{ type: 'user', id }`, `{ type: 'setting', id: 'modules.coupons.enabled' }`). */
export interface AuditTarget {
  type: string;
  id?: string | null;
}

/**
 * One audit entry as a caller describes it. `actor`, `ip` and `requestId` default to the
 * current request's (the actor the request already resolved, `request.ip`, its request id);
 * outside a request the actor is `system`.
 *
 * `before` and `after` hold ids and non-personal fields only (a role, an amount, a flag). The
 * kernel applies the redaction rule (redact.ts) to them anyway, so an email or a password that
 * slips in is stored as `"[redacted]"`.
 */
export interface AuditEntry {
  /** `<module>.<what>` in snake case, past tense: `users.role_changed`, `wallet.adjusted`. */
  action: string;
  actor?: AuditActorRef | Actor | null;
  target?: AuditTarget | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  ip?: string | null;
  requestId?: string | null;
}

/** A stored entry, as `GET /v1/admin/audit` answers it. */
export interface AuditRecord {
  id: string;
  occurredAt: string;
  action: string;
  actor: AuditActorRef;
  target: { type: string; id: string | null } | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  ip: string | null;
  requestId: string | null;
}

export interface AuditQuery {
  /** Actor id (any type). */
  actor?: string;
  actorType?: AuditActorType;
  /** Exact action, or a prefix ending in `.*` (`users.*`). */
  action?: string;
  /** Target type, or `type:id`. */
  target?: string;
  from?: Date;
  to?: Date;
  limit?: number;
  cursor?: string;
}
