import type { BadgeRule } from './config.js';
import type { DefinitionSet } from './definitions.js';

/** What badge rules look at: all-time points, all-time awarded-event counts, the live streak. */
export interface PlayerFacts {
  points: number;
  counts: Map<string, number>;
  streak: number;
}

/** Current value and target of a rule (for progress bars); null for manual badges. */
export function ruleProgress(rule: BadgeRule, facts: PlayerFacts, defs: DefinitionSet): { current: number; target: number } | null {
  switch (rule.type) {
    case 'count':
      return { current: facts.counts.get(rule.event) ?? 0, target: rule.min };
    case 'first':
      return { current: Math.min(facts.counts.get(rule.event) ?? 0, 1), target: 1 };
    case 'points':
      return { current: facts.points, target: rule.min };
    case 'streak':
      return { current: facts.streak, target: rule.min };
    case 'level': {
      // "Level reached" means the level's threshold is reached, so renumbering levels never takes a badge away.
      const level = defs.levels.find((l) => l.key === rule.level);
      return level ? { current: facts.points, target: level.threshold } : null;
    }
    case 'manual':
      return null;
  }
}

export function ruleMet(rule: BadgeRule, facts: PlayerFacts, defs: DefinitionSet): boolean {
  const p = ruleProgress(rule, facts, defs);
  return p !== null && p.current >= p.target;
}

/** Event types whose all-time counts the badge rules read. */
export function ruleEvents(defs: DefinitionSet): string[] {
  const out = new Set<string>();
  for (const b of defs.badges.values()) if (b.rule.type === 'count' || b.rule.type === 'first') out.add(b.rule.event);
  return [...out];
}

/** Badges not yet earned whose rule now holds, in definition order. */
export function newlyEarned(defs: DefinitionSet, facts: PlayerFacts, earned: Set<string>): string[] {
  const out: string[] = [];
  for (const [key, badge] of defs.badges) if (!earned.has(key) && ruleMet(badge.rule, facts, defs)) out.push(key);
  return out;
}
