import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { LiveBoards, awardMessage } from './live.js';
import type { AwardOutcome } from './engine.js';

/** The coalescing of leaderboard publishes, on a fake clock (no database, no sockets). */
describe('live leaderboards', () => {
  let published: Array<{ channel: string; data: unknown }>;
  let version: number;
  let boards: LiveBoards;

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2031-06-10T10:00:00Z') });
    published = [];
    version = 0;
    boards = new LiveBoards({
      intervalMs: 250,
      periods: () => ['all', 'weekly'],
      // Every build sees the latest state (what the database would answer).
      build: async (period) => ({ period, version }),
      publish: async (channel, data) => void published.push({ channel, data }),
      log: pino({ level: 'silent' }),
    });
  });
  afterEach(async () => {
    await boards.stop();
    vi.useRealTimers();
  });

  it('publishes each board at once after a quiet spell, then at most once per interval however many awards', async () => {
    version = 1;
    boards.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(published).toEqual([
      { channel: 'gamification:leaderboard:all', data: { period: 'all', version: 1 } },
      { channel: 'gamification:leaderboard:weekly', data: { period: 'weekly', version: 1 } },
    ]);

    // A viral minute: a thousand awards within the next interval make one round, with the last state.
    for (let i = 0; i < 1000; i++) {
      version = 2 + i;
      boards.changed();
      await vi.advanceTimersByTimeAsync(0.2);
    }
    expect(published).toHaveLength(2); // 200 ms in: the interval since the first round is not over
    await vi.advanceTimersByTimeAsync(50);
    expect(published).toHaveLength(4);
    expect(published.at(-1)).toEqual({ channel: 'gamification:leaderboard:weekly', data: { period: 'weekly', version: 1001 } });
    // 1000 awards, two rounds.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(published).toHaveLength(4);
  });

  it('does not send a board equal to the last one it sent (an award outside the top)', async () => {
    version = 7;
    boards.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(published).toHaveLength(2);
    boards.changed();
    await vi.advanceTimersByTimeAsync(1000);
    expect(published).toHaveLength(2);
    version = 8;
    boards.changed();
    await vi.advanceTimersByTimeAsync(1000);
    expect(published).toHaveLength(4);
  });

  it('a change during a round under way gets a round of its own after it', async () => {
    let release!: () => void;
    const slow = new LiveBoards({
      intervalMs: 250,
      periods: () => ['all'],
      build: async () => {
        const seen = version;
        await new Promise<void>((r) => (release = r));
        return { version: seen };
      },
      publish: async (channel, data) => void published.push({ channel, data }),
      log: pino({ level: 'silent' }),
    });
    version = 1;
    slow.changed();
    await vi.advanceTimersByTimeAsync(0);
    version = 2; // lands after the round read the board
    slow.changed();
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(published).toEqual([{ channel: 'gamification:leaderboard:all', data: { version: 1 } }]);
    await vi.advanceTimersByTimeAsync(250);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(published.at(-1)).toEqual({ channel: 'gamification:leaderboard:all', data: { version: 2 } });
    await slow.stop();
  });

  it('intervalMs 0 turns live leaderboards off; stop() ends them', async () => {
    const off = new LiveBoards({ intervalMs: 0, periods: () => ['all'], build: async () => ({}), publish: async (c, d) => void published.push({ channel: c, data: d }), log: pino({ level: 'silent' }) });
    off.changed();
    await boards.stop();
    boards.changed();
    await vi.advanceTimersByTimeAsync(1000);
    expect(published).toEqual([]);
  });

  it('an award message names keys only, and nothing when the award changed nothing', () => {
    const base: AwardOutcome = {
      player: { type: 'guest', id: 'g1' },
      results: [{ type: 'share', status: 'awarded', points: 50 } as AwardOutcome['results'][number]],
      points: 50,
      total: 120,
      levelUps: ['bronze'],
      previousLevel: null,
      level: 'bronze',
      badges: ['first_share'],
      challenges: [],
      streak: null,
      coupons: [],
    };
    expect(awardMessage(base)).toEqual({
      kind: 'gamification.award',
      points: { awarded: 50, total: 120 },
      reasons: ['share'],
      level: 'bronze',
      levelUps: ['bronze'],
      badges: ['first_share'],
      challenges: [],
    });
    expect(awardMessage({ ...base, results: [], points: 0, levelUps: [], badges: [] })).toBeNull();
  });
});
