import type { Logger } from 'pino';
import type { AwardOutcome } from './engine.js';
import type { Period } from './leaderboard.js';

/**
 * Gamification over websockets (docs/gamification.md#realtime):
 *   - a player's own awards go to the kernel's `user:{id}` / `guest:{id}` channel, published
 *     inside the award's transaction (so sent after it commits, never on a rollback);
 *   - leaderboards go to the public `gamification:leaderboard:{period}` channels, coalesced.
 */

/** The public channel of a period's leaderboard. */
export const boardChannel = (period: Period) => `gamification:leaderboard:${period}`;

/** What a player's own channel receives for an award: keys only, the same for every language (names come from GET /me). */
export interface AwardMessage {
  kind: 'gamification.award';
  points: { awarded: number; total: number };
  /** Event types that earned points in this award. */
  reasons: string[];
  level: string | null;
  levelUps: string[];
  badges: string[];
  challenges: string[];
}

/** The message for an award, or null when it changed nothing a player would see. */
export function awardMessage(o: AwardOutcome): AwardMessage | null {
  const challenges = o.challenges.filter((c) => c.justCompleted).map((c) => c.key);
  if (o.points <= 0 && !o.badges.length && !o.levelUps.length && !challenges.length) return null;
  return {
    kind: 'gamification.award',
    points: { awarded: o.points, total: o.total },
    reasons: [...new Set(o.results.filter((r) => r.status === 'awarded').map((r) => r.type))],
    level: o.level,
    levelUps: o.levelUps,
    badges: o.badges,
    challenges,
  };
}

export interface LiveBoardsOptions {
  /** At most one round of leaderboard publishes per this many ms (per process). */
  intervalMs: number;
  periods: () => readonly Period[];
  /** The board as an anonymous visitor sees it (GET /leaderboard without credentials). */
  build(period: Period): Promise<unknown>;
  publish(channel: string, data: unknown): Promise<void>;
  log: Logger;
}

/**
 * Coalesces leaderboard publishes. A viral campaign awards thousands of points a second; a
 * publish per award would send every viewer thousands of boards a second, most of them equal.
 * Instead `changed()` (called after a commit that moved points) publishes at once when nothing
 * went out in the last `intervalMs`, else once at the end of that interval, whatever the number
 * of awards meanwhile: at most one board per period per interval per replica, each built from
 * the database when sent (so it is never older than the awards that triggered it). A board equal
 * to the last one this process sent (an award outside the top) is not sent again.
 */
export class LiveBoards {
  private timer: NodeJS.Timeout | null = null;
  private flushing = false;
  private dirty = false;
  private lastAt = 0;
  private stopped = false;
  private readonly last = new Map<Period, string>();
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LiveBoardsOptions) {}

  changed(): void {
    if (this.stopped || this.opts.intervalMs <= 0) return;
    if (this.flushing) {
      this.dirty = true; // the round under way may have read the boards before this change
      return;
    }
    if (this.timer) return; // a round is scheduled: this change rides along
    const wait = Math.max(0, this.lastAt + this.opts.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    this.dirty = false;
    this.lastAt = Date.now();
    try {
      for (const period of this.opts.periods()) {
        const board = await this.opts.build(period);
        const text = JSON.stringify(board);
        if (this.last.get(period) === text) continue;
        await this.opts.publish(boardChannel(period), board);
        this.last.set(period, text);
      }
    } catch (err) {
      // A lost board is replaced by the next change's; nothing to retry.
      this.opts.log.warn({ err }, 'could not publish a live leaderboard');
    } finally {
      this.flushing = false;
      if (this.dirty) this.changed();
    }
  }

  /** Stops publishing; waits for a round under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
