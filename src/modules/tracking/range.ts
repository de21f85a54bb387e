const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * A time range [from, to) cut into what the rollups can answer: whole UTC days (the daily table)
 * and the hours of the partial days at either end (the hourly table). Hours and days are the
 * text keys the tables use ('YYYY-MM-DDTHH', 'YYYY-MM-DD'); `from` is floored and `to` ceiled to
 * the hour.
 */
export interface Range {
  from: Date;
  to: Date;
  /** Whole days: [dayFrom, dayTo) (empty when dayFrom >= dayTo). */
  dayFrom: string;
  dayTo: string;
  /** Partial days' hours, each [from, to) within one day. */
  segments: Array<{ from: string; to: string }>;
}

const hourKey = (ms: number) => new Date(ms).toISOString().slice(0, 13);
const dayKey = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function rangeOf(fromDate: Date, toDate: Date): Range {
  const from = Math.floor(fromDate.getTime() / HOUR) * HOUR;
  const to = Math.max(from, Math.ceil(toDate.getTime() / HOUR) * HOUR);
  const firstWhole = Math.ceil(from / DAY) * DAY;
  const lastWhole = Math.floor(to / DAY) * DAY;
  const segments: Array<{ from: string; to: string }> = [];
  let dayFrom: string;
  let dayTo: string;
  if (firstWhole <= lastWhole) {
    dayFrom = dayKey(firstWhole);
    dayTo = dayKey(lastWhole);
    if (from < firstWhole) segments.push({ from: hourKey(from), to: hourKey(firstWhole) });
    if (lastWhole < to) segments.push({ from: hourKey(lastWhole), to: hourKey(to) });
  } else {
    // Within one day.
    dayFrom = dayTo = dayKey(from);
    if (from < to) segments.push({ from: hourKey(from), to: hourKey(to) });
  }
  return { from: new Date(from), to: new Date(to), dayFrom, dayTo, segments };
}

/** Every hour or day key in [from, to), for time series with empty buckets filled. */
export function buckets(range: Range, interval: 'hour' | 'day'): string[] {
  const out: string[] = [];
  const step = interval === 'hour' ? HOUR : DAY;
  const start = interval === 'hour' ? range.from.getTime() : Math.floor(range.from.getTime() / DAY) * DAY;
  for (let t = start; t < range.to.getTime(); t += step) out.push(interval === 'hour' ? hourKey(t) : dayKey(t));
  return out;
}
