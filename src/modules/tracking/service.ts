import { createHash } from 'node:crypto';
import { isbot } from 'isbot';
import { typedDb, typedTrx } from '../../core/db/dialect.js';
import { newId } from '../../core/ids.js';
import { badRequest, tooManyRequests, type FieldError } from '../../core/http/problem.js';
import type { ModuleContext } from '../../core/module.js';
import type { TrackingConfig } from './config.js';
import { checkEvent, recordOf, type EventInput, type RecordedEvent } from './events.js';
import { noGeoip, type CountryLookup } from './geoip.js';
import { appendBatch } from './rollup.js';
import { Queries } from './queries.js';
import { Funnels } from './funnels.js';
import { LiveVisitors } from './live.js';
import type { TrackingTables } from './schema.js';
import { dayOf, SaltStore } from './visitor.js';
import { BatchWriter } from './writer.js';

/** What the HTTP layer (or the server-side middleware) knows about who sent events. */
export interface Sender {
  ip: string;
  userAgent: string;
  /** DNT: 1 or Sec-GPC: 1. */
  optedOut: boolean;
  userId: string | null;
  guestId: string | null;
}

export interface IngestResult {
  accepted: number;
  /** Why nothing was recorded: a bot, or the visitor asked not to be tracked. */
  ignored?: 'bot' | 'opted_out';
}

/** isbot's list is one large regular expression: remember the answer for the user agents seen lately. */
const botCache = new Map<string, boolean>();
function isBot(userAgent: string): boolean {
  let bot = botCache.get(userAgent);
  if (bot === undefined) {
    bot = !userAgent || isbot(userAgent);
    if (botCache.size >= 2000) botCache.delete(botCache.keys().next().value!);
    botCache.set(userAgent, bot);
  }
  return bot;
}

/** Parses `gamification` keys: `pageview`, `click:<name>`, `custom:<name>`, or `<name>` for any type. */
function goalOf(map: Record<string, string>, e: RecordedEvent): string | undefined {
  if (e.type === 'pageview') return map.pageview;
  if (!e.name) return undefined;
  return map[`${e.type}:${e.name}`] ?? map[e.name];
}

/**
 * Cookieless first-party analytics: events in, rollups out (docs/tracking.md). The HTTP routes
 * and the server-side middleware call `ingest`; dashboards call `queries` and `funnels`.
 */
export class TrackingService {
  readonly salts: SaltStore;
  readonly writer: BatchWriter;
  readonly queries: Queries;
  readonly funnels: Funnels;
  readonly live: LiveVisitors;
  geo: CountryLookup = noGeoip;
  /** The clock; tests move it. */
  now: () => Date = () => new Date();
  readonly site: string;
  /** Path of the browser script at its content-hashed URL (script-routes.ts). */
  scriptPath = '';
  /** Removes the server-side middleware's hook (module stop). */
  unhook: (() => void) | null = null;
  private readonly db;

  constructor(private readonly ctx: ModuleContext<TrackingConfig>) {
    this.db = typedDb<TrackingTables>(ctx);
    this.salts = new SaltStore(this.db);
    this.writer = new BatchWriter((events) => this.commit(events), ctx.config.writer.maxBatch, ctx.log);
    this.queries = new Queries(this.db, ctx.dialect);
    this.funnels = new Funnels(this.db, ctx.dialect);
    this.live = new LiveVisitors({
      db: this.db,
      queries: this.queries,
      locks: ctx.locks,
      publish: (data) => ctx.realtime.publish('admin', data),
      log: ctx.log,
      intervalMs: ctx.config.live.intervalMs,
      windowMinutes: ctx.config.live.windowMinutes,
      now: () => this.now().getTime(),
    });
    this.site = ctx.config.site ?? new URL(ctx.appConfig.server.publicUrl).host;
  }

  /** Checks a batch: 400 with field errors at `pointer` (`/body` for one event, `/body/events` for a batch). */
  validate(events: EventInput[], pointer: string): void {
    const limits = this.ctx.config.limits;
    if (events.length > limits.batch) throw badRequest('tracking_batch_too_large', { params: { max: limits.batch } });
    const errors: FieldError[] = [];
    events.forEach((e, i) => checkEvent(e, limits, pointer === '/body' ? pointer : `${pointer}/${i}`, errors));
    if (errors.length) throw badRequest('validation_failed', { errors });
  }

  /** Rate limits per visitor and per IP (429 with Retry-After), across replicas. */
  async admit(sender: Sender, visitor: string): Promise<void> {
    const { requestsPerMinute, requestsPerMinutePerIp } = this.ctx.config.limits;
    // The limiter's keys (in Redis at scale, for a minute) name a hash of the IP, never the IP.
    const ipKey = createHash('sha256').update(`${this.ctx.secret}\n${sender.ip}`).digest('hex').slice(0, 24);
    const perIp = await this.ctx.rateLimiter.hit(`tracking:ip:${ipKey}`, { limit: requestsPerMinutePerIp, windowMs: 60_000 });
    if (!perIp.allowed) throw tooManyRequests(perIp.retryAfterMs);
    const perVisitor = await this.ctx.rateLimiter.hit(`tracking:v:${visitor}`, { limit: requestsPerMinute, windowMs: 60_000 });
    if (!perVisitor.allowed) throw tooManyRequests(perVisitor.retryAfterMs);
  }

  /**
   * Records checked events from one sender and resolves once they are committed (group commit,
   * writer.ts). Bots and opted-out visitors are answered as if recorded, with nothing written.
   */
  async ingest(sender: Sender, events: EventInput[], opts: { rateLimit?: boolean; botFilter?: boolean } = {}): Promise<IngestResult> {
    if (this.ctx.config.filterBots && opts.botFilter !== false && isBot(sender.userAgent)) return { accepted: 0, ignored: 'bot' };
    if (this.ctx.config.honorDoNotTrack && sender.optedOut) return { accepted: 0, ignored: 'opted_out' };
    const at = this.now();
    const visitor = await this.salts.visitorId(dayOf(at), this.site, sender.ip, sender.userAgent);
    if (opts.rateLimit !== false) await this.admit(sender, visitor);
    const source = { at, visitor, country: this.geo.country(sender.ip), userId: sender.userId, guestId: sender.guestId };
    const records = events.map((e) => recordOf(newId(), e, source));
    await this.writer.write(records);
    return { accepted: records.length };
  }

  /** One transaction per batch: raw rows, rollups, live visitors, and the gamification goals' events. */
  private async commit(events: RecordedEvent[]): Promise<void> {
    const goals = this.ctx.config.gamification;
    const hasGoals = Object.keys(goals).length > 0;
    await this.ctx.tx(async (handle) => {
      const trx = typedTrx<TrackingTables>(handle);
      await appendBatch(trx, events);
      await this.touchLive(trx, events);
      if (!hasGoals) return;
      for (const e of events) {
        const type = goalOf(goals, e);
        const actor = e.userId ? { actorType: 'user' as const, actorId: e.userId } : e.guestId ? { actorType: 'guest' as const, actorId: e.guestId } : null;
        if (type && actor) handle.emit('tracking.goal', { eventId: e.id, ...actor, gamificationType: type });
      }
    });
  }

  private async touchLive(trx: ReturnType<typeof typedTrx<TrackingTables>>, events: RecordedEvent[]): Promise<void> {
    if (!this.ctx.config.live.enabled) return;
    const last = new Map<string, { visitor: string; path: string; last_ms: number }>();
    for (const e of events) last.set(e.visitor, { visitor: e.visitor, path: e.path, last_ms: e.at.getTime() });
    const rows = [...last.values()].sort((a, b) => (a.visitor < b.visitor ? -1 : 1));
    for (let i = 0; i < rows.length; i += 500) {
      await trx
        .insertInto('tracking_live')
        .values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.column('visitor').doUpdateSet((eb) => ({ path: eb.ref('excluded.path'), last_ms: eb.ref('excluded.last_ms') })))
        .execute();
    }
  }

  /** Links a guest's events to the account it became (funnels across sign-up). */
  async mergeGuest(guestId: string, userId: string): Promise<void> {
    await this.db.updateTable('tracking_events').set({ user_id: userId }).where('guest_id', '=', guestId).where('user_id', 'is', null).execute();
  }

  /** A user's linked events, newest first (privacy export). */
  async eventsOf(userId: string, limit: number) {
    const rows = await this.db
      .selectFrom('tracking_events')
      .select(['at', 'type', 'name', 'path', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'duration_ms', 'props'])
      .where('user_id', '=', userId)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString(), props: r.props ? (JSON.parse(r.props) as unknown) : null }));
  }

  /** Forgets who a user was: their events stay counted, no longer linked to them. */
  async forgetUser(userId: string): Promise<void> {
    await this.db.updateTable('tracking_events').set({ user_id: null, guest_id: null }).where('user_id', '=', userId).execute();
  }

  async forgetGuests(guestIds: string[]): Promise<void> {
    for (let i = 0; i < guestIds.length; i += 500) {
      await this.db.updateTable('tracking_events').set({ guest_id: null }).where('guest_id', 'in', guestIds.slice(i, i + 500)).execute();
    }
  }

  /** Daily cron: raw events and visitor sets past retention, salts of past days, old rollups. */
  async prune(): Promise<void> {
    const now = this.now();
    const today = dayOf(now);
    await this.salts.rotate(today);
    const cutoff = new Date(now.getTime() - this.ctx.config.retentionDays * 86_400_000);
    // In slices, so a large backlog never holds one long transaction.
    for (;;) {
      const ids = await this.db.selectFrom('tracking_events').select('id').where('at', '<', cutoff.toISOString()).limit(5000).execute();
      if (!ids.length) break;
      await this.db.deleteFrom('tracking_events').where('id', 'in', ids.map((r) => r.id)).execute();
    }
    await this.db.deleteFrom('tracking_hour_visitors').where('hour', '<', cutoff.toISOString().slice(0, 13)).execute();
    // Day sets only serve today's increments (and yesterday's late batches).
    const yesterday = dayOf(new Date(now.getTime() - 86_400_000));
    await this.db.deleteFrom('tracking_day_visitors').where('day', '<', yesterday).execute();
    await this.db.deleteFrom('tracking_dim_visitors').where('day', '<', yesterday).execute();
    const days = this.ctx.config.rollupRetentionDays;
    if (days > 0) {
      const old = dayOf(new Date(now.getTime() - days * 86_400_000));
      await this.db.deleteFrom('tracking_hourly').where('hour', '<', old).execute();
      await this.db.deleteFrom('tracking_daily').where('day', '<', old).execute();
    }
  }
}
