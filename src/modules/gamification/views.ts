import type { GamificationConfig } from './config.js';
import { levelFor, nameOf, type DefinitionSet, type Level } from './definitions.js';
import type { AwardOutcome } from './engine.js';
import { isOpen, progressOf } from './rewards.js';
import { ruleProgress, type PlayerFacts } from './rules.js';
import { currentStreak, type StreakState } from './streaks.js';

/** JSON shapes the routes answer, built from definitions (in memory) and a player's stored state. */

type Locale = 'es' | 'en';

/** A player's stored state, as cached for GET /me (definitions are applied at read time). */
export interface PlayerState {
  totals: Record<string, number>;
  badges: Array<{ key: string; earnedAt: string }>;
  streak: StreakState | null;
  challenges: Array<{ key: string; progress: string; completedAt: string | null }>;
}

export const levelView = (l: Level | null, locale: Locale) => (l ? { key: l.key, name: nameOf(l.names, locale, l.key), threshold: l.threshold } : null);

export function progressToNext(levels: Level[], points: number, locale: Locale) {
  const current = levelFor(levels, points);
  const next = levels.find((l) => l.threshold > points) ?? null;
  if (!next) return { level: levelView(current, locale), next: null };
  const from = current?.threshold ?? 0;
  return {
    level: levelView(current, locale),
    next: {
      ...levelView(next, locale)!,
      pointsNeeded: next.threshold - points,
      progress: Math.min(1, Math.max(0, (points - from) / Math.max(1, next.threshold - from))),
    },
  };
}

export function streakView(s: StreakState | null, today: string) {
  const v = currentStreak(s, today);
  return { current: v.current, longest: v.longest, freezesLeft: v.freezesLeft, lastDay: v.lastDay || null, active: v.active };
}

export function badgeView(defs: DefinitionSet, key: string, locale: Locale) {
  const b = defs.badges.get(key);
  return {
    key,
    name: nameOf(b?.names, locale, key),
    description: b?.descriptions ? nameOf(b.descriptions, locale, '') : null,
    imageUrl: b?.imageUrl ?? null,
  };
}

export function challengeView(defs: DefinitionSet, key: string, row: { progress: string; completedAt: string | null } | undefined, now: string, locale: Locale) {
  const c = defs.challenges.get(key)!;
  const progress = progressOf(row?.progress, c);
  return {
    key,
    name: nameOf(c.names, locale, key),
    description: c.descriptions ? nameOf(c.descriptions, locale, '') : null,
    startsAt: c.startsAt ?? null,
    endsAt: c.endsAt ?? null,
    open: isOpen(c, now),
    steps: c.steps.map((s, i) => ({ event: s.event, count: Math.min(progress[i], s.count), target: s.count })),
    completed: Boolean(row?.completedAt),
    completedAt: row?.completedAt ?? null,
    reward: { points: c.reward?.points ?? 0, badge: c.reward?.badge ?? null, coupon: Boolean(c.reward?.coupon) },
  };
}

export function meView(defs: DefinitionSet, config: GamificationConfig, s: PlayerState, periodKeys: { weekly: string; monthly: string }, now: Date, locale: Locale) {
  const points = s.totals.all ?? 0;
  const nowIso = now.toISOString();
  const rows = new Map(s.challenges.map((c) => [c.key, c]));
  return {
    points: {
      total: points,
      weekly: s.totals[periodKeys.weekly] ?? 0,
      monthly: s.totals[periodKeys.monthly] ?? 0,
      name: config.pointsName[locale],
    },
    ...progressToNext(defs.levels, points, locale),
    badges: s.badges.filter((b) => defs.badges.has(b.key)).map((b) => ({ ...badgeView(defs, b.key, locale), earnedAt: b.earnedAt })),
    streak: streakView(s.streak, nowIso.slice(0, 10)),
    challenges: [...defs.challenges]
      .filter(([key, c]) => isOpen(c, nowIso) && !rows.get(key)?.completedAt)
      .map(([key]) => challengeView(defs, key, rows.get(key), nowIso, locale)),
  };
}

export function badgeCatalog(defs: DefinitionSet, facts: PlayerFacts, earned: Map<string, string>, locale: Locale) {
  return [...defs.badges].map(([key, b]) => {
    const p = ruleProgress(b.rule, facts, defs);
    return {
      ...badgeView(defs, key, locale),
      rule: b.rule,
      earned: earned.has(key),
      earnedAt: earned.get(key) ?? null,
      progress: p ? { current: Math.min(p.current, p.target), target: p.target } : null,
    };
  });
}

export function eventTypeCatalog(defs: DefinitionSet, locale: Locale) {
  return [...defs.eventTypes].map(([key, e]) => ({
    key,
    name: nameOf(e.names, locale, key),
    points: e.points,
    dailyCap: e.dailyCap ?? null,
    cooldownSeconds: e.cooldownSeconds ?? null,
    lifetimeCap: e.lifetimeCap ?? null,
    client: e.client !== false,
  }));
}

/** What POST /events answers. */
export function awardView(defs: DefinitionSet, o: AwardOutcome, locale: Locale) {
  const level = defs.levels.find((l) => l.key === o.level) ?? null;
  return {
    results: o.results,
    points: { awarded: o.points, total: o.total },
    level: levelView(level, locale),
    levelUps: o.levelUps.map((k) => levelView(defs.levels.find((l) => l.key === k) ?? null, locale)!).filter(Boolean),
    badges: o.badges.map((k) => badgeView(defs, k, locale)),
    challenges: o.challenges.map((c) => ({ key: c.key, steps: c.steps, completed: c.completed, justCompleted: c.justCompleted })),
    streak: o.streak ? { current: o.streak.current, longest: o.streak.longest, freezesLeft: o.streak.freezesLeft } : null,
  };
}
