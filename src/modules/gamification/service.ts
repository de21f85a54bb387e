import type { Actor } from '../../core/http/access.js';
import { badRequest, type FieldError } from '../../core/http/problem.js';
import type { ModuleContext } from '../../core/module.js';
import { paginate } from '../../core/db/paginate.js';
import { actorKey, type Player } from './actors.js';
import type { GamificationConfig } from './config.js';
import { Definitions, type DefinitionSet } from './definitions.js';
import { applyBatch, type AwardOutcome, type EventInput } from './engine.js';
import { scheduleConsequences, type LiveOutput } from './consequences.js';
import { LiveBoards } from './live.js';
import { periodKey, rankOf, topPlayers, type Period } from './leaderboard.js';
import { nameEntries, type NameSource } from './board-names.js';
import { MeCache, validUntil } from './me-cache.js';
import { eraseActor, exportUser, mergeGuest } from './merge.js';
import { ruleEvents } from './rules.js';
import { typedDb } from '../../core/db/dialect.js';
import type { GamDb, GamificationTables } from './schema.js';
import { fromRow } from './streaks.js';
import { badgeCatalog, challengeView, eventTypeCatalog, meView, type PlayerState } from './views.js';

export const MAX_BATCH = 100;
type Locale = 'es' | 'en';

/** What a reward of type coupon calls; provided by the coupons module when it runs. */
interface CouponRewards {
  grantReward(input: { couponCode: string; actorType: 'user' | 'guest'; actorId: string; source: string }): Promise<unknown>;
}

const toPlayer = (a: Player | Actor): Player => {
  if (a.type !== 'user' && a.type !== 'guest') throw badRequest('not_a_player');
  return { type: a.type, id: a.id };
};

/**
 * Points, badges, levels, challenges, streaks and leaderboards for guests and users.
 * Other modules call `award` (e.g. sign-up points); the routes call the rest.
 */
export class GamificationService {
  readonly definitions: Definitions;
  /** Serialized GET /me answers, per player and locale (see MeCache). */
  readonly meCache = new MeCache({ ttlMs: 30_000 });
  /** Coalesced leaderboard publishes to the public realtime channels. */
  readonly liveBoards: LiveBoards;
  /** The engine's clock; tests move it to cross days. */
  now: () => Date = () => new Date();
  private readonly db: GamDb;

  constructor(private readonly ctx: ModuleContext<GamificationConfig>) {
    this.db = typedDb<GamificationTables>(ctx);
    this.definitions = new Definitions(this.db, ctx.pubsub, ctx.log, ctx.config);
    this.definitions.onChange(() => this.meCache.clear());
    this.liveBoards = new LiveBoards({
      intervalMs: ctx.config.leaderboards.liveIntervalMs,
      periods: () => ctx.config.leaderboards.periods,
      build: (period) => this.leaderboard(period, ctx.config.leaderboards.defaultLimit, null),
      publish: (channel, data) => ctx.realtime.publish(channel, data),
      log: ctx.log,
    });
  }

  /** What an award shows live (see consequences.ts): the player's channel and the boards. */
  private readonly live: LiveOutput = {
    publish: (channel, data) => {
      this.ctx.realtime.publish(channel, data).catch((err: unknown) => this.ctx.log.warn({ err, channel }, 'could not publish a live award'));
    },
    boardsChanged: () => this.liveBoards.changed(),
  };

  get defs() {
    return this.definitions.current;
  }

  /** Awards one event, server side (server-only event types allowed). `id` makes it idempotent. */
  award(actor: Player | Actor, eventType: string, opts: { id?: string } = {}): Promise<AwardOutcome> {
    return this.awardMany(actor, [{ type: eventType, id: opts.id }]);
  }

  /**
   * Awards a batch in one transaction. `fromClient` refuses server-only types; `pointer` is where
   * field errors point (`/body/events` for a batch, `/body` for a single event).
   */
  async awardMany(actor: Player | Actor, events: EventInput[], opts: { fromClient?: boolean; pointer?: string } = {}): Promise<AwardOutcome> {
    const player = toPlayer(actor);
    // One snapshot for validation and the engine: an admin deleting a type meanwhile cannot make it a 500.
    const defs = this.defs;
    this.validate(defs, events, opts.fromClient ?? false, opts.pointer ?? '/body/events');
    const now = this.now();
    return this.ctx.tx(async (trx) => {
      const outcome = await applyBatch(trx, defs, this.engineOptions(), player, events, now);
      scheduleConsequences(trx, outcome, () => this.forgetPlayer(player), this.live);
      return outcome;
    });
  }

  /** Grants a badge (usually a `manual` one) with its rewards; idempotent. */
  async grantBadge(actor: Player | Actor, badge: string): Promise<AwardOutcome> {
    const player = toPlayer(actor);
    if (!this.defs.badges.has(badge)) throw badRequest('unknown_badge', { params: { key: badge } });
    const defs = this.defs;
    const now = this.now();
    return this.ctx.tx(async (trx) => {
      const outcome = await applyBatch(trx, defs, this.engineOptions(), player, [], now, [badge]);
      scheduleConsequences(trx, outcome, () => this.forgetPlayer(player), this.live);
      return outcome;
    });
  }

  private engineOptions() {
    return { dialect: this.ctx.dialect, periods: this.ctx.config.leaderboards.periods, streak: this.ctx.config.streak };
  }

  private validate(defs: DefinitionSet, events: EventInput[], fromClient: boolean, pointer: string): void {
    if (events.length > MAX_BATCH) throw badRequest('batch_too_large', { params: { max: MAX_BATCH } });
    const errors: FieldError[] = [];
    let unknown = false;
    events.forEach((e, i) => {
      const at = pointer === '/body' ? '/body/type' : `${pointer}/${i}/type`;
      const def = defs.eventTypes.get(e.type);
      if (!def) {
        unknown = true;
        errors.push({ pointer: at, code: 'unknown_event_type', detail: `Unknown event type ${e.type}` });
      } else if (fromClient && def.client === false) {
        errors.push({ pointer: at, code: 'server_only_event', detail: `Event type ${e.type} is awarded by the server only` });
      }
    });
    if (errors.length) throw badRequest(unknown ? 'unknown_event_type' : 'server_only_event', { errors });
  }

  /** gamification.coupon_earned: the coupons module issues the reward (idempotent per source and player). */
  async grantCoupon(e: { actorType: 'user' | 'guest'; actorId: string; coupon: string; source: string }): Promise<void> {
    const coupons = (this.ctx.services as { coupons?: Partial<CouponRewards> }).coupons;
    if (!coupons?.grantReward) {
      this.ctx.log.warn({ coupon: e.coupon, source: e.source }, 'coupon reward skipped: the coupons module is not running');
      return;
    }
    await coupons.grantReward({ couponCode: e.coupon, actorType: e.actorType, actorId: e.actorId, source: e.source });
  }

  private meCacheKey(p: Player): string {
    return `gamification:me:${actorKey(p)}`;
  }

  /** Drops what is cached about a player: the shared state entry, then every replica's /me answers. */
  private async forgetPlayer(p: Player): Promise<void> {
    await this.ctx.cache.delete(this.meCacheKey(p)).catch(() => {});
    await this.meCache.forget(this.ctx.pubsub, [actorKey(p)]).catch((err: unknown) => this.ctx.log.error({ err }, 'could not publish a /me invalidation'));
  }

  /**
   * GET /me as a JSON string, answered from this process's MeCache when nothing it depends on
   * changed. `serialize` is the route's response serializer (the same bytes as a normal answer).
   */
  async meBody(player: Player, locale: Locale, serialize: (value: unknown) => string): Promise<string> {
    const actor = actorKey(player);
    const nowMs = this.now().getTime();
    const hit = this.meCache.get(actor, locale, nowMs);
    if (hit !== undefined) return hit;
    const stamp = this.meCache.stamp;
    const defs = this.defs;
    const body = serialize(await this.me(player, locale, new Date(nowMs)));
    // Definitions reloaded meanwhile bump the stamp too, so `defs` is what the body was built from.
    this.meCache.set(actor, locale, body, nowMs, validUntil(defs, nowMs), stamp);
    return body;
  }

  /** The stored state behind GET /me, cached briefly per player (writes drop the entry). */
  async state(player: Player): Promise<PlayerState> {
    return this.ctx.cache.getOrSet(this.meCacheKey(player), 30_000, () => this.loadState(player));
  }

  private async loadState(player: Player): Promise<PlayerState> {
    const actor = actorKey(player);
    const now = this.now();
    const periods = ['all', periodKey('weekly', now), periodKey('monthly', now)];
    const [totals, badges, streak, challenges] = await Promise.all([
      this.db.selectFrom('gam_totals').select(['period', 'points']).where('actor', '=', actor).where('period', 'in', periods).execute(),
      this.db.selectFrom('gam_badges').select(['badge', 'earned_at']).where('actor', '=', actor).orderBy('earned_at').execute(),
      this.db.selectFrom('gam_streaks').selectAll().where('actor', '=', actor).executeTakeFirst(),
      this.db.selectFrom('gam_challenges').select(['challenge', 'progress', 'completed_at']).where('actor', '=', actor).execute(),
    ]);
    return {
      totals: Object.fromEntries(totals.map((t) => [t.period, Number(t.points)])),
      badges: badges.map((b) => ({ key: b.badge, earnedAt: b.earned_at })),
      streak: streak ? fromRow(streak) : null,
      challenges: challenges.map((c) => ({ key: c.challenge, progress: c.progress, completedAt: c.completed_at })),
    };
  }

  async me(player: Player, locale: Locale, now = this.now()) {
    const state = await this.state(player);
    const keys = { weekly: periodKey('weekly', now), monthly: periodKey('monthly', now) };
    return { actor: player, ...meView(this.defs, this.ctx.config, state, keys, now, locale) };
  }

  eventTypes(locale: Locale) {
    return eventTypeCatalog(this.defs, locale);
  }

  async badges(player: Player | null, locale: Locale) {
    const defs = this.defs;
    const earned = new Map<string, string>();
    const counts = new Map<string, number>();
    let points = 0;
    let streak = 0;
    if (player) {
      const state = await this.state(player);
      for (const b of state.badges) earned.set(b.key, b.earnedAt);
      points = state.totals.all ?? 0;
      streak = state.streak?.current ?? 0;
      const types = ruleEvents(defs);
      if (types.length) {
        const rows = await this.db
          .selectFrom('gam_counts')
          .select(['type', 'count'])
          .where('actor', '=', actorKey(player))
          .where('period', '=', 'all')
          .where('type', 'in', types)
          .execute();
        for (const r of rows) counts.set(r.type, Number(r.count));
      }
    }
    return badgeCatalog(defs, { points, counts, streak }, earned, locale);
  }

  async challenges(player: Player | null, locale: Locale) {
    const rows = new Map<string, { progress: string; completedAt: string | null }>();
    if (player) for (const c of (await this.state(player)).challenges) rows.set(c.key, c);
    const now = this.now().toISOString();
    return [...this.defs.challenges.keys()].map((key) => challengeView(this.defs, key, rows.get(key), now, locale));
  }

  /** Points history, newest first, keyset-paginated. */
  async history(player: Player, page: { limit?: number; cursor?: string }) {
    const q = this.db
      .selectFrom('gam_events')
      .select(['id', 'type', 'source', 'ref', 'points', 'client_id', 'created_at'])
      .where('actor', '=', actorKey(player));
    const res = await paginate(q, { ...page, orderBy: ['id'], key: (r) => [Number(r.id)] });
    return {
      data: res.data.map((r) => ({
        id: String(r.id),
        type: r.type,
        source: r.source,
        points: Number(r.points),
        clientId: r.client_id,
        createdAt: r.created_at,
      })),
      nextCursor: res.nextCursor,
    };
  }

  /**
   * Top `limit` of a period, each entry named (display name or pseudonym, never an id; the
   * caller's own marked `isMe`), plus the caller's own rank.
   */
  async leaderboard(period: Period, limit: number, player: Player | null, locale: Locale = this.ctx.appConfig.i18n.defaultLocale) {
    const key = periodKey(period, this.now());
    const { includeGuests, showNames } = this.ctx.config.leaderboards;
    const [top, me] = await Promise.all([
      topPlayers(this.db, key, limit, includeGuests),
      player && (includeGuests || player.type === 'user') ? rankOf(this.db, key, actorKey(player), includeGuests) : Promise.resolve(null),
    ]);
    // Other modules through their services only; either may be switched off.
    const services = this.ctx.services as { auth?: NameSource; guests?: NameSource };
    const data = await nameEntries(top, {
      users: services.auth,
      guests: services.guests,
      showNames,
      me: player ? actorKey(player) : null,
      pseudonym: (tag) => this.ctx.i18n.t(locale, 'leaderboard.pseudonym', { tag }) ?? `Player ${tag}`,
      secret: this.ctx.secret,
    });
    return { period, periodKey: key, data, me };
  }

  /** guest.merged: moves everything the guest earned to the user, once. */
  async mergeGuest(guestId: string, userId: string): Promise<boolean> {
    // mergeGuest's own ctx.tx joins this one, so its consequences commit with the merge.
    return this.ctx.tx(async (trx) => {
      const moved = await mergeGuest(this.ctx, this.defs, this.engineOptions(), guestId, userId, this.now());
      trx.afterCommit(() => this.forgetPlayer({ type: 'guest', id: guestId }));
      if (moved) {
        trx.afterCommit(() => this.forgetPlayer(moved.player));
        // The user's channel hears of the points that moved in; the guest leaves the boards.
        scheduleConsequences(trx, moved, async () => {}, this.live);
        trx.afterCommit(async () => this.liveBoards.changed());
      }
      return moved !== null;
    });
  }

  /** user.deleted: erases the user's rows. */
  async eraseUser(userId: string): Promise<void> {
    await eraseActor(this.ctx, { type: 'user', id: userId }, () => this.forgetPlayer({ type: 'user', id: userId }));
    this.liveBoards.changed(); // they leave the boards
  }

  /** guest.expired: erases the guest's rows. */
  async eraseGuest(guestId: string): Promise<void> {
    await eraseActor(this.ctx, { type: 'guest', id: guestId }, () => this.forgetPlayer({ type: 'guest', id: guestId }));
    this.liveBoards.changed();
  }

  exportUser(userId: string) {
    return exportUser(this.db, { type: 'user', id: userId });
  }
}
