import { createHmac } from 'node:crypto';
import type { BoardEntry } from './leaderboard.js';

/** Who can name players: the auth module (users' names) and the guests module (guests' display names). */
export interface NameSource {
  displayNames(ids: readonly string[]): Promise<Map<string, string>>;
}

export interface PublicBoardEntry {
  rank: number;
  actorType: 'user' | 'guest';
  /** The player's display name, or a stable pseudonym; never an internal id. */
  displayName: string;
  points: number;
  /** True on the caller's own entry. */
  isMe: boolean;
}

/**
 * A stable tag for a player that reveals nothing: 6 characters of an HMAC of the actor key under
 * the app secret, so it cannot be turned back into an id, and the same player keeps it.
 */
export function pseudonymTag(secret: string, actorKey: string): string {
  const n = createHmac('sha256', secret).update(`leaderboard:${actorKey}`).digest().readUIntBE(0, 6);
  return n.toString(36).toUpperCase().padStart(6, '0').slice(-6);
}

/**
 * The board as the public sees it: each entry named through one batched lookup per player kind
 * (two primary-key reads of at most `limit` rows, never one per entry). A player no source can
 * name (module off, account gone) or every player when names are off gets a pseudonym.
 */
export async function nameEntries(
  entries: BoardEntry[],
  opts: {
    users?: NameSource;
    guests?: NameSource;
    showNames: boolean;
    me: string | null;
    pseudonym: (tag: string) => string;
    secret: string;
  },
): Promise<PublicBoardEntry[]> {
  const ids = (type: 'user' | 'guest') => entries.filter((e) => e.actorType === type).map((e) => e.actorId);
  const lookup = (source: NameSource | undefined, list: string[]) =>
    opts.showNames && source && list.length ? source.displayNames(list) : Promise.resolve(new Map<string, string>());
  const [users, guests] = await Promise.all([lookup(opts.users, ids('user')), lookup(opts.guests, ids('guest'))]);
  return entries.map((e) => {
    const key = `${e.actorType}:${e.actorId}`;
    const name = (e.actorType === 'user' ? users : guests).get(e.actorId)?.trim();
    return {
      rank: e.rank,
      actorType: e.actorType,
      displayName: name || opts.pseudonym(pseudonymTag(opts.secret, key)),
      points: e.points,
      isMe: key === opts.me,
    };
  });
}
