/**
 * How a named plan limit maps to a usage counter:
 * - `<metric>PerMonth` caps the monthly counter `<metric>` (`apiCallsPerMonth` → `apiCalls`);
 * - `max<Metric>` caps the running total `<metric>`, which never resets (`maxCustomers` →
 *   `customers`; the module that creates and deletes customers increments it by +1 / -1);
 * - any other name caps the monthly counter of the same name (`exports` → `exports`).
 */
export interface LimitTarget {
  metric: string;
  period: 'month' | 'total';
}

export function limitTarget(limitName: string): LimitTarget {
  const perMonth = /^(.+)PerMonth$/.exec(limitName);
  if (perMonth) return { metric: perMonth[1], period: 'month' };
  const max = /^max([A-Z].*)$/.exec(limitName);
  if (max) return { metric: max[1][0].toLowerCase() + max[1].slice(1), period: 'total' };
  return { metric: limitName, period: 'month' };
}

/** The limit (if any) in `limits` that caps `metric`: the first name mapping to it. */
export function limitFor(limits: Record<string, number>, metric: string): { name: string; value: number; period: 'month' | 'total' } | null {
  for (const [name, value] of Object.entries(limits)) {
    const target = limitTarget(name);
    if (target.metric === metric) return { name, value, period: target.period };
  }
  return null;
}

/** '2026-11' for a time in November 2026 (UTC). */
export function monthPeriod(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** When a period's counter starts again: the first instant of next month (UTC); never for totals. */
export function periodReset(period: string): string | null {
  if (period === 'total') return null;
  const [y, m] = period.split('-').map(Number);
  return new Date(Date.UTC(y, m, 1)).toISOString();
}

export function periodOf(target: LimitTarget['period'], at: Date): string {
  return target === 'total' ? 'total' : monthPeriod(at);
}
