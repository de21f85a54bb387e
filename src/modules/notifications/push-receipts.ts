import { typedDb } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import type { PushTables } from './push-schema.js';

/**
 * Which of a recipient's targets (browser subscriptions, device tokens) a delivery already
 * reached. A push delivery fans out to every target of the recipient; when some fail and the
 * delivery is retried, the retry goes only to the others.
 */
export class PushReceipts {
  private readonly db;

  constructor(ctx: Pick<ModuleContext, 'db'>) {
    this.db = typedDb<PushTables>(ctx);
  }

  async reached(deliveryId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('notif_push_receipts').select('target_id').where('delivery_id', '=', deliveryId).execute();
    return new Set(rows.map((r) => r.target_id));
  }

  async mark(deliveryId: string, targetIds: string[]): Promise<void> {
    if (!targetIds.length) return;
    const now = new Date().toISOString();
    await this.db
      .insertInto('notif_push_receipts')
      .values(targetIds.map((target_id) => ({ delivery_id: deliveryId, target_id, created_at: now })))
      .onConflict((oc) => oc.columns(['delivery_id', 'target_id']).doNothing())
      .execute();
  }

  /** Daily: receipts outlive their delivery's retries by far after `keepDays`. */
  async prune(keepDays: number): Promise<void> {
    const cutoff = new Date(Date.now() - keepDays * 86_400_000).toISOString();
    await this.db.deleteFrom('notif_push_receipts').where('created_at', '<', cutoff).execute();
  }
}

/** A Retry-After header (seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | null | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * One target's outcome, gathered into the delivery's: any retryable failure retries the delivery
 * (the targets reached are skipped next time); else any target reached is `sent`; else every
 * target gone is `bounced`; else a permanent failure.
 */
export interface TargetOutcome {
  kind: 'sent' | 'gone' | 'retry' | 'fatal';
  /** For `gone`: expired/unregistered (`gone`) or refused as not a valid token (`invalid`); the removal metric's label. */
  reason?: 'gone' | 'invalid';
  error?: string;
  retryAfterMs?: number;
  providerMessageId?: string;
}

export function summarize(outcomes: TargetOutcome[]): { status: 'sent' | 'failed' | 'bounced'; retryable?: boolean; retryAfterMs?: number; error?: string; providerMessageId?: string } {
  const count = (k: TargetOutcome['kind']) => outcomes.filter((o) => o.kind === k).length;
  const errors = [...new Set(outcomes.filter((o) => o.error).map((o) => o.error!))].join('; ').slice(0, 400);
  const sentId = outcomes.find((o) => o.kind === 'sent')?.providerMessageId;
  const of = (k: TargetOutcome['kind']) => `${count(k)} of ${outcomes.length}`;
  if (count('retry')) {
    const waits = outcomes.map((o) => o.retryAfterMs ?? 0);
    return { status: 'failed', retryable: true, retryAfterMs: Math.max(...waits) || undefined, error: `${of('retry')} targets failed, retrying: ${errors}` };
  }
  if (count('sent')) return { status: 'sent', providerMessageId: sentId, ...(errors ? { error: errors } : {}) };
  if (count('gone') === outcomes.length) return { status: 'bounced', retryable: false, error: errors || 'every target is gone' };
  return { status: 'failed', retryable: false, error: errors || 'no target accepted the message' };
}
