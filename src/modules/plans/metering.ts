import { sql, type Kysely } from 'kysely';
import { typedDb } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import { problem } from '../../core/http/problem.js';
import type { Catalog, Plan } from './catalog.js';
import type { PlansConfig } from './config.js';
import { limitFor, limitTarget, periodOf, periodReset } from './limits.js';
import { ownerKey, type OwnerKey, type PlanOwner } from './owner.js';
import type { PlansTables, PlansTrx } from './schema.js';

export type LimitMode = 'hard' | 'soft';

/** What an increment or a check found: the counter after it, and the limit that caps it. */
export interface UsageState {
  metric: string;
  /** '2026-11', or 'total' for running totals. */
  period: string;
  usage: number;
  /** null: the owner's plan does not cap this metric. */
  limit: number | null;
  limitName: string | null;
  /** When the counter starts again (ISO), null for totals. */
  resetAt: string | null;
  mode: LimitMode;
  /** True when usage is past the limit (only possible in soft mode, or when the limit was lowered). */
  over: boolean;
}

export interface IncrementOptions {
  /**
   * In hard mode, refuse an increment that would pass the limit: nothing is counted and the
   * problem is thrown (402 `plan_limit_reached`, or 429 `plan_quota_exceeded` with
   * `quota: true`). Without it the counter always moves (metering only).
   */
  enforce?: boolean;
  quota?: boolean;
}

/**
 * Usage counters in `plan_usage`, one row per (owner, metric, period), moved by a single atomic
 * upsert (`count = count + n`), so concurrent increments on any replica add up exactly. An
 * enforced increment adds a condition to the upsert (`… where count + n <= limit`): of 10
 * concurrent calls for the last unit, exactly one gets it. Inside a caller's ctx.tx the
 * increment joins it (a rolled-back customer creation un-counts its customer).
 *
 * Threshold alerts ride on the increment that crosses them: with atomic increments exactly one
 * increment sees `before < ⌈limit·t⌉ ≤ after`, and the alert row's primary key (owner, metric,
 * period, kind, threshold) makes it once even if a limit edit makes a second one cross.
 */
export class Meter {
  constructor(
    private readonly ctx: ModuleContext<PlansConfig>,
    private readonly catalog: Catalog,
    private readonly currentPlan: (owner: PlanOwner) => Promise<Plan | null>,
  ) {}

  /** The period rule of a metric: a plan limit names it, else metricPeriods, else monthly. */
  async periodKind(metric: string, plan: Plan | null): Promise<'month' | 'total'> {
    const fromPlan = plan ? limitFor(plan.limits, metric) : null;
    if (fromPlan) return fromPlan.period;
    const configured = this.ctx.config.metricPeriods[metric];
    if (configured) return configured;
    for (const p of await this.catalog.list()) {
      const l = limitFor(p.limits, metric);
      if (l) return l.period;
    }
    return 'month';
  }

  private modeOf(limitName: string | null): LimitMode {
    return (limitName && this.ctx.config.limitModes[limitName]) || this.ctx.config.enforcement;
  }

  /** The owner's plan, the limit capping `metric` in it, the counter's period now, and the mode. */
  async target(owner: PlanOwner, metric: string, at: Date) {
    const plan = await this.currentPlan(owner);
    const limit = plan ? limitFor(plan.limits, metric) : null;
    const period = periodOf(await this.periodKind(metric, plan), at);
    return { metric, plan, limit, period, mode: this.modeOf(limit?.name ?? null) };
  }

  async increment(owner: PlanOwner, metric: string, n = 1, opts: IncrementOptions = {}): Promise<UsageState> {
    if (!Number.isSafeInteger(n)) throw new RangeError('increment: n must be an integer');
    const key = ownerKey(owner);
    const { limit, period, mode } = await this.target(owner, metric, new Date());
    const capped = opts.enforce === true && mode === 'hard' && limit !== null && n > 0;
    const state = (usage: number): UsageState => stateOf({ metric, period, limit, mode }, usage);
    const now = new Date().toISOString();
    const cap = capped ? limit!.value : null;
    if (!this.ctx.database.openTransaction()) {
      // Hot path (every metered API call): one autocommitted statement, no transaction around
      // it (a ctx.tx costs several round trips and the outbox's bookkeeping). Only the increment
      // that crosses a threshold opens one, for the alert row and its event. A process killed
      // between the two loses that alert, never a count.
      const db = typedDb<PlansTables>(this.ctx);
      const usage = await upsert(db, key, metric, period, n, now, cap);
      if (usage === null) throw refusal(state(await readCount(db, key, metric, period)), opts.quota === true);
      if (limit && n > 0 && this.crossings(state(usage), n).length) {
        await this.ctx.tx(async (trx: PlansTrx) => this.alerts(trx, key, state(usage), n, now));
      }
      return state(usage);
    }
    // Inside the caller's transaction: the count commits (or rolls back) with their change.
    const result = await this.ctx.tx(async (trx: PlansTrx) => {
      const usage = await upsert(trx, key, metric, period, n, now, cap);
      // Refused: read what stopped it in the same transaction.
      if (usage === null) return { refused: true, usage: await readCount(trx, key, metric, period) };
      if (limit && n > 0) await this.alerts(trx, key, state(usage), n, now);
      return { refused: false, usage };
    });
    if (result.refused) throw refusal(state(result.usage), opts.quota === true);
    return state(result.usage);
  }

  /** The thresholds (and 'exceeded') this increment of `n` took the counter across. */
  private crossings(s: UsageState, n: number): Array<{ kind: 'threshold' | 'exceeded'; threshold: number }> {
    const limit = s.limit;
    if (limit === null || limit <= 0) return [];
    const before = s.usage - n;
    const out: Array<{ kind: 'threshold' | 'exceeded'; threshold: number }> = [];
    for (const t of [...new Set(this.ctx.config.alertThresholds)].sort((a, b) => a - b)) {
      const boundary = Math.ceil((limit * t) / 100);
      if (before < boundary && s.usage >= boundary) out.push({ kind: 'threshold', threshold: t });
    }
    if (before <= limit && s.usage > limit) out.push({ kind: 'exceeded', threshold: 100 });
    return out;
  }

  /** Would `n` more fit? Reads the counter; reserves nothing (enforced increments do). */
  async check(owner: PlanOwner, limitName: string, n = 1): Promise<UsageState & { allowed: boolean; remaining: number | null }> {
    const { metric } = limitTarget(limitName);
    const key = ownerKey(owner);
    const plan = await this.currentPlan(owner);
    const value = plan?.limits[limitName];
    const period = periodOf(limitTarget(limitName).period, new Date());
    const usage = await this.read(key, metric, period);
    const mode = this.modeOf(limitName);
    const limit = value ?? null;
    const fits = limit === null || usage + n <= limit;
    return {
      metric,
      period,
      usage,
      limit,
      limitName: limit === null ? null : limitName,
      resetAt: periodReset(period),
      mode,
      over: limit !== null && usage > limit,
      allowed: fits || mode === 'soft',
      remaining: limit === null ? null : Math.max(0, limit - usage),
    };
  }

  read(key: OwnerKey, metric: string, period: string): Promise<number> {
    return readCount(typedDb<PlansTables>(this.ctx), key, metric, period);
  }

  /** Every counter of the owner for this month and the running totals, with the plan's limits. */
  async usage(owner: PlanOwner): Promise<UsageState[]> {
    const key = ownerKey(owner);
    const plan = await this.currentPlan(owner);
    const month = periodOf('month', new Date());
    const rows = await typedDb<PlansTables>(this.ctx)
      .selectFrom('plan_usage')
      .select(['metric', 'period', 'count'])
      .where('owner_type', '=', key.type)
      .where('owner_id', '=', key.id)
      .where('period', 'in', [month, 'total'])
      .execute();
    const out = new Map<string, UsageState>();
    const add = (metric: string, period: string, usage: number) => {
      const limit = plan ? limitFor(plan.limits, metric) : null;
      if (limit && periodOf(limit.period, new Date()) !== period) return;
      const mode = this.modeOf(limit?.name ?? null);
      out.set(metric, {
        metric,
        period,
        usage,
        limit: limit?.value ?? null,
        limitName: limit?.name ?? null,
        resetAt: periodReset(period),
        mode,
        over: limit !== null && usage > limit.value,
      });
    };
    for (const r of rows) add(String(r.metric), String(r.period), Number(r.count));
    // Limits with nothing counted yet still show (usage 0).
    for (const name of Object.keys(plan?.limits ?? {})) {
      const t = limitTarget(name);
      if (!out.has(t.metric)) add(t.metric, periodOf(t.period, new Date()), 0);
    }
    return [...out.values()].sort((a, b) => a.metric.localeCompare(b.metric));
  }

  private async alerts(trx: PlansTrx, key: OwnerKey, s: UsageState, n: number, now: string): Promise<void> {
    const owner = key.type === 'tenant' ? { tenantId: key.id, userId: null } : { tenantId: null, userId: key.id };
    const base = { ownerType: key.type, ownerId: key.id, ...owner, metric: s.metric, limitName: s.limitName!, period: s.period, limit: s.limit!, resetAt: s.resetAt };
    const eventKey = { key: `${key.type}:${key.id}` };
    for (const c of this.crossings(s, n)) {
      if (!(await recordAlert(trx, key, s, c.kind, c.threshold, now))) continue;
      if (c.kind === 'threshold') trx.emit('plans.usage.threshold', { ...base, threshold: c.threshold, usage: s.usage }, eventKey);
      else trx.emit('plans.usage.exceeded', { ...base, usage: s.usage, mode: s.mode }, eventKey);
    }
  }
}

/** A counter's state for `usage`, given what `Meter.target` found. */
export function stateOf(t: { metric: string; period: string; limit: { name: string; value: number } | null; mode: LimitMode }, usage: number): UsageState {
  return {
    metric: t.metric,
    period: t.period,
    usage,
    limit: t.limit?.value ?? null,
    limitName: t.limit?.name ?? null,
    resetAt: periodReset(t.period),
    mode: t.mode,
    over: t.limit !== null && usage > t.limit.value,
  };
}

/** The atomic add; with `cap`, only while the result stays within it (null: refused). */
async function upsert(trx: Kysely<PlansTables>, key: OwnerKey, metric: string, period: string, n: number, now: string, cap: number | null): Promise<number | null> {
  if (cap !== null && n > cap) return null;
  const row = await trx
    .insertInto('plan_usage')
    .values({ owner_type: key.type, owner_id: key.id, metric, period, count: Math.max(n, 0), updated_at: now })
    .onConflict((oc) => {
      const update = oc
        .columns(['owner_type', 'owner_id', 'metric', 'period'])
        // A running total never drops below zero (a delete counted twice, a reset in between).
        .doUpdateSet({
          count: sql<number>`case when plan_usage.count + ${n} < 0 then 0 else plan_usage.count + ${n} end`,
          updated_at: now,
        });
      return cap === null ? update : update.where(sql<boolean>`plan_usage.count + ${n} <= ${cap}`);
    })
    .returning('count')
    .executeTakeFirst();
  return row ? Number(row.count) : null;
}

async function readCount(db: Kysely<PlansTables>, key: OwnerKey, metric: string, period: string): Promise<number> {
  const row = await db
    .selectFrom('plan_usage')
    .select('count')
    .where('owner_type', '=', key.type)
    .where('owner_id', '=', key.id)
    .where('metric', '=', metric)
    .where('period', '=', period)
    .executeTakeFirst();
  return row ? Number(row.count) : 0;
}

async function recordAlert(trx: PlansTrx, key: OwnerKey, s: UsageState, kind: string, threshold: number, now: string): Promise<boolean> {
  const row = await trx
    .insertInto('plan_usage_alerts')
    .values({ owner_type: key.type, owner_id: key.id, metric: s.metric, period: s.period, kind, threshold, usage: s.usage, limit_value: s.limit!, created_at: now })
    .onConflict((oc) => oc.columns(['owner_type', 'owner_id', 'metric', 'period', 'kind', 'threshold']).doNothing())
    .returning('threshold')
    .executeTakeFirst();
  return row !== undefined;
}

/** 402 plan_limit_reached or 429 plan_quota_exceeded, carrying limit, usage and reset time. */
export function refusal(s: UsageState, quota: boolean) {
  const extra = { limit: s.limit, limitName: s.limitName, metric: s.metric, usage: s.usage, resetAt: s.resetAt };
  const params = { limit: s.limit ?? 0, limitName: s.limitName ?? s.metric, usage: s.usage, resetAt: s.resetAt ?? '-' };
  if (quota) {
    const retryMs = s.resetAt ? Date.parse(s.resetAt) - Date.now() : 3_600_000;
    return problem(429, 'plan_quota_exceeded', {
      params,
      extra,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryMs / 1000))) },
    });
  }
  return problem(402, 'plan_limit_reached', { params, extra });
}

/** `Plan-Limit-Warning` value for soft mode: `apiCallsPerMonth; usage=1001; limit=1000; reset=…`. */
export function warningHeader(s: UsageState): string {
  return `${s.limitName ?? s.metric}; usage=${s.usage}; limit=${s.limit ?? ''}${s.resetAt ? `; reset=${s.resetAt}` : ''}`;
}
