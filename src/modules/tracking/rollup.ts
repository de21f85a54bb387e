import { sql, type Transaction } from 'kysely';
import type { RecordedEvent } from './events.js';
import type { RollupRow, TrackingTables } from './schema.js';

type Trx = Transaction<TrackingTables>;
type Counters = RollupRow;
const zero = (): Counters => ({ views: 0, visitors: 0, hour_visitors: 0, events: 0, engaged_ms: 0, entries: 0, bounces: 0 });

/** Rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;
function* chunks<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += CHUNK) yield rows.slice(i, i + CHUNK);
}

/** Increments per (hour, dim, value); the daily table gets the same, keyed by the hour's day. */
class Increments {
  readonly byKey = new Map<string, { hour: string; dim: string; value: string; c: Counters }>();
  add(hour: string, dim: string, value: string, field: keyof Counters, n: number): void {
    if (n === 0) return;
    const key = `${hour}\u0001${dim}\u0001${value}`;
    let entry = this.byKey.get(key);
    if (!entry) this.byKey.set(key, (entry = { hour, dim, value, c: zero() }));
    entry.c[field] += n;
  }
}

/** The dimension values an event counts under (besides the totals), and whether it is a view there. */
function dimsOf(e: RecordedEvent): Array<[dim: string, value: string]> {
  if (e.type === 'pageview') {
    const out: Array<[string, string]> = [['page', e.path]];
    if (e.referrer) out.push(['referrer', e.referrer]);
    if (e.utm.source) out.push(['utm_source', e.utm.source]);
    if (e.utm.medium) out.push(['utm_medium', e.utm.medium]);
    if (e.utm.campaign) out.push(['utm_campaign', e.utm.campaign]);
    if (e.country) out.push(['country', e.country]);
    return out;
  }
  if (e.type === 'engagement' || !e.name) return [];
  const out: Array<[string, string]> = [['event', e.name]];
  for (const [k, v] of Object.entries(e.props ?? {})) out.push(['prop', `${e.name}|${k}|${String(v)}`.slice(0, 300)]);
  return out;
}

const isBounce = (pageviews: number, interactions: number) => pageviews === 1 && interactions === 0;
const interactive = (e: RecordedEvent) => e.type === 'click' || e.type === 'custom';

/**
 * Appends a batch of events and updates every rollup it touches, in the caller's transaction.
 * Unique visitors are counted through set tables (insert … ON CONFLICT DO NOTHING RETURNING:
 * only rows new to the set come back), so counts stay exact whatever the batch boundaries and
 * however many replicas write at once. Keys are sorted so concurrent writers lock rows in one
 * order (no deadlocks on PostgreSQL).
 */
export async function appendBatch(trx: Trx, events: RecordedEvent[]): Promise<void> {
  if (!events.length) return;
  for (const part of chunks(events)) {
    await trx
      .insertInto('tracking_events')
      .values(
        part.map((e) => ({
          id: e.id,
          at: e.at.toISOString(),
          hour: e.hour,
          visitor: e.visitor,
          type: e.type,
          name: e.name,
          path: e.path,
          referrer: e.referrer,
          utm_source: e.utm.source,
          utm_medium: e.utm.medium,
          utm_campaign: e.utm.campaign,
          utm_term: e.utm.term,
          utm_content: e.utm.content,
          country: e.country,
          duration_ms: e.durationMs,
          props: e.props ? JSON.stringify(e.props) : null,
          user_id: e.userId,
          guest_id: e.guestId,
        })),
      )
      .execute();
  }

  const inc = new Increments();
  const days = new Map<string, { day: string; visitor: string; events: number; pageviews: number; interactions: number; hour: string; entry: string | null }>();
  const hourSet = new Map<string, { hour: string; visitor: string }>();
  // Per day, dimension value and visitor: the hour first seen in this batch.
  const dimSet = new Map<string, { day: string; dim: string; value: string; visitor: string; hour: string }>();
  for (const e of events) {
    inc.add(e.hour, '', '', e.type === 'pageview' ? 'views' : e.type === 'engagement' ? 'engaged_ms' : 'events', e.type === 'engagement' ? (e.durationMs ?? 0) : 1);
    if (e.type === 'engagement') inc.add(e.hour, 'page', e.path, 'engaged_ms', e.durationMs ?? 0);
    if (e.type === 'click' || e.type === 'custom' || e.type === 'api') inc.add(e.hour, 'page', e.path, 'events', 1);
    for (const [dim, value] of dimsOf(e)) {
      inc.add(e.hour, dim, value, e.type === 'pageview' ? 'views' : 'events', 1);
      const k = `${e.day}\u0001${dim}\u0001${value}\u0001${e.visitor}`;
      if (!dimSet.has(k)) dimSet.set(k, { day: e.day, dim, value, visitor: e.visitor, hour: e.hour });
    }
    const hk = `${e.hour}\u0001${e.visitor}`;
    if (!hourSet.has(hk)) hourSet.set(hk, { hour: e.hour, visitor: e.visitor });
    const dk = `${e.day}\u0001${e.visitor}`;
    let d = days.get(dk);
    if (!d) days.set(dk, (d = { day: e.day, visitor: e.visitor, events: 0, pageviews: 0, interactions: 0, hour: e.hour, entry: null }));
    d.events += 1;
    if (e.type === 'pageview') {
      d.pageviews += 1;
      d.entry ??= e.path;
    }
    if (interactive(e)) d.interactions += 1;
  }

  // Visitors per day: the upsert returns the new counts; the old ones are those minus this batch's.
  const dayRows = [...days.values()].sort((a, b) => (a.day + a.visitor < b.day + b.visitor ? -1 : 1));
  for (const part of chunks(dayRows)) {
    const returned = await trx
      .insertInto('tracking_day_visitors')
      .values(part.map((d) => ({ day: d.day, visitor: d.visitor, events: d.events, pageviews: d.pageviews, interactions: d.interactions, first_hour: d.hour, entry_path: d.entry })))
      .onConflict((oc) =>
        oc.columns(['day', 'visitor']).doUpdateSet({
          events: sql`tracking_day_visitors.events + excluded.events`,
          pageviews: sql`tracking_day_visitors.pageviews + excluded.pageviews`,
          interactions: sql`tracking_day_visitors.interactions + excluded.interactions`,
          entry_path: sql`coalesce(tracking_day_visitors.entry_path, excluded.entry_path)`,
        }),
      )
      .returning(['day', 'visitor', 'events', 'pageviews', 'interactions', 'first_hour', 'entry_path'])
      .execute();
    for (const r of returned) {
      const d = days.get(`${r.day}\u0001${r.visitor}`)!;
      const [events, pageviews, interactions] = [Number(r.events), Number(r.pageviews), Number(r.interactions)];
      const old = { events: events - d.events, pageviews: pageviews - d.pageviews, interactions: interactions - d.interactions };
      if (old.events === 0) inc.add(r.first_hour, '', '', 'visitors', 1);
      if (old.pageviews === 0 && pageviews > 0) {
        inc.add(r.first_hour, '', '', 'entries', 1);
        if (r.entry_path) inc.add(r.first_hour, 'page', r.entry_path, 'entries', 1);
      }
      const bounce = Number(isBounce(pageviews, interactions)) - Number(isBounce(old.pageviews, old.interactions));
      inc.add(r.first_hour, '', '', 'bounces', bounce);
      if (r.entry_path) inc.add(r.first_hour, 'page', r.entry_path, 'bounces', bounce);
    }
  }

  const hourRows = [...hourSet.values()].sort((a, b) => (a.hour + a.visitor < b.hour + b.visitor ? -1 : 1));
  for (const part of chunks(hourRows)) {
    const fresh = await trx.insertInto('tracking_hour_visitors').values(part).onConflict((oc) => oc.doNothing()).returning('hour').execute();
    for (const r of fresh) inc.add(r.hour, '', '', 'hour_visitors', 1);
  }

  const dimRows = [...dimSet.values()].sort((a, b) => (a.day + a.dim + a.value + a.visitor < b.day + b.dim + b.value + b.visitor ? -1 : 1));
  for (const part of chunks(dimRows)) {
    const fresh = await trx
      .insertInto('tracking_dim_visitors')
      .values(part.map(({ day, dim, value, visitor }) => ({ day, dim, value, visitor })))
      .onConflict((oc) => oc.doNothing())
      .returning(['day', 'dim', 'value', 'visitor'])
      .execute();
    for (const r of fresh) inc.add(dimSet.get(`${r.day}\u0001${r.dim}\u0001${r.value}\u0001${r.visitor}`)!.hour, r.dim, r.value, 'visitors', 1);
  }

  await upsertRollups(trx, inc);
}

const FIELDS = ['views', 'visitors', 'hour_visitors', 'events', 'engaged_ms', 'entries', 'bounces'] as const;

async function upsertRollups(trx: Trx, inc: Increments): Promise<void> {
  const hourly = [...inc.byKey.values()].sort((a, b) => (a.hour + a.dim + a.value < b.hour + b.dim + b.value ? -1 : 1));
  const dailyMap = new Map<string, { day: string; dim: string; value: string; c: Counters }>();
  for (const h of hourly) {
    const day = h.hour.slice(0, 10);
    const key = `${day}\u0001${h.dim}\u0001${h.value}`;
    let d = dailyMap.get(key);
    if (!d) dailyMap.set(key, (d = { day, dim: h.dim, value: h.value, c: zero() }));
    for (const f of FIELDS) d.c[f] += h.c[f];
  }
  // hour_visitors only means something per hour; the daily row's unique visitors are `visitors`.
  const daily = [...dailyMap.values()].sort((a, b) => (a.day + a.dim + a.value < b.day + b.dim + b.value ? -1 : 1));
  const set = (table: string) => Object.fromEntries(FIELDS.map((f) => [f, sql`${sql.ref(`${table}.${f}`)} + excluded.${sql.ref(f)}`]));
  for (const part of chunks(hourly)) {
    await trx
      .insertInto('tracking_hourly')
      .values(part.map((h) => ({ hour: h.hour, dim: h.dim, value: h.value, ...h.c })))
      .onConflict((oc) => oc.columns(['hour', 'dim', 'value']).doUpdateSet(set('tracking_hourly')))
      .execute();
  }
  for (const part of chunks(daily)) {
    await trx
      .insertInto('tracking_daily')
      .values(part.map((d) => ({ day: d.day, dim: d.dim, value: d.value, ...d.c, hour_visitors: 0 })))
      .onConflict((oc) => oc.columns(['day', 'dim', 'value']).doUpdateSet(set('tracking_daily')))
      .execute();
  }
}
