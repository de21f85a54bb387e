import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Dialect } from '../../core/db/database.js';
import { timestampParam } from '../../core/db/dialect.js';
import type { TrackingTables } from './schema.js';

/** One step: every given field must match (type, event name, page path). */
export interface FunnelStep {
  type?: string;
  name?: string;
  path?: string;
}

interface Hit {
  who: string;
  ms: number;
  matches: number[];
}

/** Most steps `hits` (one person's, in time order) reach in order, each within `windowMs` of the first. */
export function stepsReached(hits: Array<{ ms: number; matches: number[] }>, steps: number, windowMs: number): number {
  let best = 0;
  for (let i = 0; i < hits.length && best < steps; i++) {
    if (!hits[i]!.matches.includes(0)) continue;
    let reached = 1;
    const start = hits[i]!.ms;
    for (let j = i + 1; j < hits.length && reached < steps; j++) {
      if (hits[j]!.ms - start > windowMs) break;
      if (hits[j]!.matches.includes(reached)) reached++;
    }
    best = Math.max(best, reached);
  }
  return best;
}

/**
 * Funnels: how many people did step 1, then step 2, … in that order, with every step within
 * `windowMs` of their step 1. A person is the signed-in user when known, else the guest, else the
 * daily visitor id (so an anonymous visitor's funnel does not cross midnight UTC). Unlike the other
 * dashboard queries this one reads raw events, those of the range matching a step (index on `at`).
 */
export class Funnels {
  constructor(
    private readonly db: Kysely<TrackingTables>,
    private readonly dialect: Dialect,
  ) {}

  async run(steps: FunnelStep[], from: Date, to: Date, windowMs: number) {
    // Events after `to` still complete a funnel started before it (within the window).
    const until = new Date(Math.min(to.getTime() + windowMs, 253402300799000));
    const rows = await this.db
      .selectFrom('tracking_events')
      .select(['user_id', 'guest_id', 'visitor', 'at', 'type', 'name', 'path', 'id'])
      .where(sql<SqlBool>`at >= ${timestampParam(this.dialect, from.toISOString())}`)
      .where(sql<SqlBool>`at < ${timestampParam(this.dialect, until.toISOString())}`)
      .where((eb) =>
        eb.or(
          steps.map((s) => {
            const conds: Expression<SqlBool>[] = [];
            if (s.type) conds.push(eb('type', '=', s.type));
            if (s.name) conds.push(eb('name', '=', s.name));
            if (s.path) conds.push(eb('path', '=', s.path));
            return eb.and(conds);
          }),
        ),
      )
      .orderBy('at')
      .orderBy('id')
      .execute();
    const byWho = new Map<string, Hit[]>();
    const toMs = to.getTime();
    for (const r of rows) {
      const who = r.user_id ? `u:${r.user_id}` : r.guest_id ? `g:${r.guest_id}` : `v:${r.visitor}`;
      const ms = new Date(r.at).getTime();
      const matches = steps.flatMap((s, i) => ((!s.type || s.type === r.type) && (!s.name || s.name === r.name) && (!s.path || s.path === r.path) ? [i] : []));
      // A funnel starts inside the range: a first step after `to` is no start.
      const list = byWho.get(who) ?? [];
      if (!list.length && (ms >= toMs || !matches.includes(0))) continue;
      list.push({ who, ms, matches: ms >= toMs ? matches.filter((m) => m > 0) : matches });
      byWho.set(who, list);
    }
    const reached = new Array<number>(steps.length).fill(0);
    for (const hits of byWho.values()) {
      const k = stepsReached(hits, steps.length, windowMs);
      for (let i = 0; i < k; i++) reached[i]!++;
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      windowMinutes: Math.round(windowMs / 60_000),
      steps: steps.map((s, i) => ({
        step: i + 1,
        ...s,
        people: reached[i]!,
        conversionFromPrevious: i === 0 ? 1 : reached[i - 1]! > 0 ? Math.round((reached[i]! / reached[i - 1]!) * 10_000) / 10_000 : 0,
        conversionFromStart: reached[0]! > 0 ? Math.round((reached[i]! / reached[0]!) * 10_000) / 10_000 : 0,
      })),
    };
  }
}
