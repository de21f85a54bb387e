import type { StreakRow } from './schema.js';

/** Daily streaks over UTC days. Pure functions; the engine reads and writes the row. */

export const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

/** Whole days from day a to day b (YYYY-MM-DD). */
export const daysBetween = (a: string, b: string): number => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);

export interface StreakState {
  current: number;
  longest: number;
  lastDay: string;
  freezesLeft: number;
}

export const fromRow = (r: StreakRow): StreakState => ({
  current: Number(r.current),
  longest: Number(r.longest),
  lastDay: r.last_day,
  freezesLeft: Number(r.freezes_left),
});

/**
 * Activity on `day`. The next day continues the streak; missed days are covered by freezes while
 * they last (each missed day spends one); otherwise a new streak starts with the freezes refilled.
 * Returns null when nothing changes (already active that day, or a late event for an earlier day).
 */
export function recordActivity(prev: StreakState | null, day: string, freezes: number): StreakState | null {
  if (!prev) return { current: 1, longest: 1, lastDay: day, freezesLeft: freezes };
  const gap = daysBetween(prev.lastDay, day);
  if (gap <= 0) return null;
  const missed = gap - 1;
  if (missed <= prev.freezesLeft) {
    const current = prev.current + 1;
    return { current, longest: Math.max(prev.longest, current), lastDay: day, freezesLeft: prev.freezesLeft - missed };
  }
  return { current: 1, longest: Math.max(prev.longest, 1), lastDay: day, freezesLeft: freezes };
}

/**
 * The streak as a player sees it today: still alive while today (or the missed days since the
 * last activity, minus one for today) can be covered by the freezes left; otherwise 0.
 */
export function currentStreak(s: StreakState | null, today: string): StreakState & { active: boolean } {
  if (!s) return { current: 0, longest: 0, lastDay: '', freezesLeft: 0, active: false };
  const missed = daysBetween(s.lastDay, today) - 1;
  const alive = missed <= s.freezesLeft;
  return { ...s, current: alive ? s.current : 0, active: alive };
}

/** Combines two streaks of one person (guest merged into user): the later one wins, the longest is kept. */
export function mergeStreaks(a: StreakState | null, b: StreakState | null): StreakState | null {
  if (!a || !b) return a ?? b;
  const [later, other] = a.lastDay > b.lastDay || (a.lastDay === b.lastDay && a.current >= b.current) ? [a, b] : [b, a];
  return {
    current: later.current,
    longest: Math.max(later.longest, other.longest),
    lastDay: later.lastDay,
    freezesLeft: Math.max(later.freezesLeft, other.freezesLeft),
  };
}
