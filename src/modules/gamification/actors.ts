import type { Actor } from '../../core/http/access.js';

/** Who plays: a user or a guest. Services are not players. */
export interface Player {
  type: 'user' | 'guest';
  id: string;
}

/** The key every gamification row is stored under: `user:<id>` or `guest:<id>`. */
export const actorKey = (p: Player): string => `${p.type}:${p.id}`;

export function parseActorKey(key: string): Player {
  const i = key.indexOf(':');
  return { type: key.slice(0, i) as Player['type'], id: key.slice(i + 1) };
}

/** The player behind an actor, or null for service actors. */
export const playerOf = (actor: Actor | null): Player | null =>
  actor && (actor.type === 'user' || actor.type === 'guest') ? { type: actor.type, id: actor.id } : null;
