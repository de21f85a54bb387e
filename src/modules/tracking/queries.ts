import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Dialect } from '../../core/db/database.js';
import { buckets, type Range } from './range.js';
import type { TrackingTables } from './schema.js';

export const DIMENSIONS = ['page', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'country', 'event'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface Totals {
  views: number;
  visitors: number;
  events: number;
  engagedMs: number;
  entries: number;
  bounces: number;
}

const n = (v: unknown) => Number(v ?? 0);
const ratio = (a: number, b: number, digits = 4) => (b > 0 ? Math.round((a / b) * 10 ** digits) / 10 ** digits : 0);

/**
 * Dashboard queries. Every one reads the rollups only: whole days from `tracking_daily`, the
 * hours of partial days from `tracking_hourly`, so their cost follows the number of days and
 * distinct values, never the number of raw events.
 */
export class Queries {
  constructor(
    private readonly db: Kysely<TrackingTables>,
    private readonly dialect: Dialect,
  ) {}

  /** Rows of one dimension in the range, as one UNION ALL of days and partial-day hours. */
  private rows(range: Range, dim: string, extra?: RawBuilder<unknown>): RawBuilder<unknown> {
    const parts: RawBuilder<unknown>[] = [];
    const cols = sql`value, views, visitors, events, engaged_ms, entries, bounces`;
    const where = extra ? sql` and ${extra}` : sql``;
    if (range.dayFrom < range.dayTo) {
      parts.push(sql`select ${cols} from tracking_daily where dim = ${dim} and day >= ${range.dayFrom} and day < ${range.dayTo}${where}`);
    }
    for (const s of range.segments) {
      parts.push(sql`select ${cols} from tracking_hourly where dim = ${dim} and hour >= ${s.from} and hour < ${s.to}${where}`);
    }
    if (!parts.length) parts.push(sql`select ${cols} from tracking_daily where 1 = 0`);
    return sql.join(parts, sql` union all `);
  }

  /**
   * Views, visitors, events, bounce rate and average time on page. Visitors are exact: whole days
   * add their unique visitors (ids change every day, so days never share one), partial days count
   * the distinct visitors of their hours.
   */
  async summary(range: Range) {
    const totals = await this.totals(range);
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      views: totals.views,
      visitors: totals.visitors,
      events: totals.events,
      visits: totals.entries,
      bounceRate: ratio(totals.bounces, totals.entries),
      avgTimeOnPageMs: Math.round(ratio(totals.engagedMs, totals.views, 0)),
      viewsPerVisitor: ratio(totals.views, totals.visitors, 2),
    };
  }

  async totals(range: Range): Promise<Totals> {
    const r = await sql<Record<string, unknown>>`
      select sum(views) as views, sum(visitors) as visitors, sum(events) as events, sum(engaged_ms) as engaged_ms,
             sum(entries) as entries, sum(bounces) as bounces
      from (${this.rows(range, '')}) t`.execute(this.db);
    const row = r.rows[0] ?? {};
    let visitors = 0;
    if (range.dayFrom < range.dayTo) {
      const d = await this.db
        .selectFrom('tracking_daily')
        .select((eb) => eb.fn.sum<number>('visitors').as('v'))
        .where('dim', '=', '')
        .where('day', '>=', range.dayFrom)
        .where('day', '<', range.dayTo)
        .executeTakeFirst();
      visitors += n(d?.v);
    }
    for (const s of range.segments) {
      const c = await this.db
        .selectFrom('tracking_hour_visitors')
        .select((eb) => eb.fn.count<number>('visitor').distinct().as('v'))
        .where('hour', '>=', s.from)
        .where('hour', '<', s.to)
        .executeTakeFirst();
      visitors += n(c?.v);
    }
    return { views: n(row.views), visitors, events: n(row.events), engagedMs: n(row.engaged_ms), entries: n(row.entries), bounces: n(row.bounces) };
  }

  /** One point per hour or day (empty ones included): views, unique visitors of the bucket, events. */
  async timeseries(range: Range, interval: 'hour' | 'day') {
    const keys = buckets(range, interval);
    const found = new Map<string, { views: number; visitors: number; events: number }>();
    if (interval === 'hour') {
      const rows = await this.db
        .selectFrom('tracking_hourly')
        .select(['hour', 'views', 'hour_visitors', 'events'])
        .where('dim', '=', '')
        .where('hour', '>=', keys[0] ?? '')
        .where('hour', '<=', keys.at(-1) ?? '')
        .execute();
      for (const r of rows) found.set(r.hour, { views: n(r.views), visitors: n(r.hour_visitors), events: n(r.events) });
    } else {
      const rows = await this.db
        .selectFrom('tracking_daily')
        .select(['day', 'views', 'visitors', 'events'])
        .where('dim', '=', '')
        .where('day', '>=', keys[0] ?? '')
        .where('day', '<=', keys.at(-1) ?? '')
        .execute();
      for (const r of rows) found.set(r.day, { views: n(r.views), visitors: n(r.visitors), events: n(r.events) });
    }
    const at = (k: string) => (interval === 'hour' ? `${k}:00:00.000Z` : `${k}T00:00:00.000Z`);
    return { interval, data: keys.map((k) => ({ at: at(k), ...(found.get(k) ?? { views: 0, visitors: 0, events: 0 }) })) };
  }

  /**
   * Top values of a dimension: views (page, referrer, UTM, country) or events (event), visitors
   * (unique per day, added over days), and for pages the average time on page and bounce rate
   * of visits that entered there.
   */
  async breakdown(range: Range, dim: Dimension | 'prop', limit: number, prefix?: string) {
    const order = dim === 'event' || dim === 'prop' ? sql`events` : sql`views`;
    const extra = prefix === undefined ? undefined : sql`substr(value, 1, ${prefix.length}) = ${prefix}`;
    const r = await sql<Record<string, unknown>>`
      select value, sum(views) as views, sum(visitors) as visitors, sum(events) as events,
             sum(engaged_ms) as engaged_ms, sum(entries) as entries, sum(bounces) as bounces
      from (${this.rows(range, dim, extra)}) t
      group by value
      order by ${order} desc, value
      limit ${limit}`.execute(this.db);
    return r.rows.map((row) => {
      const views = n(row.views);
      const entries = n(row.entries);
      return {
        value: String(row.value),
        views,
        visitors: n(row.visitors),
        events: n(row.events),
        ...(dim === 'page' ? { avgTimeOnPageMs: Math.round(ratio(n(row.engaged_ms), views, 0)), entries, bounceRate: ratio(n(row.bounces), entries) } : {}),
      };
    });
  }

  /** The properties of one event name: `{ key, value, events, visitors }`, most frequent first. */
  async properties(range: Range, event: string, limit: number) {
    const prefix = `${event}|`;
    const rows = await this.breakdown(range, 'prop', limit, prefix);
    return rows.map((r) => {
      const rest = r.value.slice(prefix.length);
      const cut = rest.indexOf('|');
      return { key: rest.slice(0, cut), value: rest.slice(cut + 1), events: r.events, visitors: r.visitors };
    });
  }

  /** Visitors seen in the last `windowMs`, and the pages they are on. */
  async live(nowMs: number, windowMs: number) {
    const since = nowMs - windowMs;
    const count = await this.db.selectFrom('tracking_live').select((eb) => eb.fn.countAll<number>().as('n')).where('last_ms', '>=', since).executeTakeFirst();
    const pages = await this.db
      .selectFrom('tracking_live')
      .select(['path', (eb) => eb.fn.countAll<number>().as('n')])
      .where('last_ms', '>=', since)
      .groupBy('path')
      .orderBy('n', 'desc')
      .orderBy('path')
      .limit(10)
      .execute();
    return { visitors: n(count?.n), pages: pages.map((p) => ({ path: p.path, visitors: n(p.n) })), windowMinutes: Math.round(windowMs / 60_000) };
  }

  get dialectName(): Dialect {
    return this.dialect;
  }
}
