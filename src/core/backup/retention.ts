/** How many scheduled backups to keep: the newest of each of the last N days, ISO weeks and months (UTC). */
export interface KeepPolicy {
  daily: number;
  weekly: number;
  monthly: number;
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const month = (d: Date) => d.toISOString().slice(0, 7);
/** ISO 8601 week, e.g. 2026-W48 (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow);
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/**
 * Grandfather-father-son: which backups to keep. Walking from the newest, the first backup of each
 * new day is kept until `daily` days are covered, likewise for weeks and months; a backup kept by
 * any rule stays. Returns the ids to delete.
 */
export function expiredBackups(backups: Array<{ id: string; createdAt: string }>, keep: KeepPolicy): string[] {
  const sorted = [...backups].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const kept = new Set<string>();
  for (const [limit, bucket] of [[keep.daily, day], [keep.weekly, isoWeek], [keep.monthly, month]] as const) {
    const seen = new Set<string>();
    for (const b of sorted) {
      const key = bucket(new Date(b.createdAt));
      if (seen.has(key)) continue;
      if (seen.size >= limit) break;
      seen.add(key);
      kept.add(b.id);
    }
  }
  return sorted.filter((b) => !kept.has(b.id)).map((b) => b.id);
}
