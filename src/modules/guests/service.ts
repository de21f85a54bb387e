import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import type { Actor } from '../../core/http/access.js';
import { badRequest, tooManyRequests } from '../../core/http/problem.js';
import { ActivityBuffer } from './activity.js';
import { GuestCookie } from './cookie.js';
import { LiveGuestCache } from './live-cache.js';
import { generateDisplayName, validateDisplayName } from './names.js';
import { timestampParam, toIso, toIsoOrNull, typedDb, typedTrx } from '../../core/db/dialect.js';
import { GuestHttp } from './http.js';
import type { GuestRow, GuestsTables } from './schema.js';
import type { GuestsConfig } from './config.js';

export interface Guest {
  id: string;
  displayName: string;
  lastIp: string | null;
  endpointsUsed: number;
  lastActiveAt: string;
  createdAt: string;
  mergedIntoUserId: string | null;
  mergedAt: string | null;
}

export const toGuest = (r: GuestRow): Guest => ({
  id: r.id,
  displayName: r.display_name,
  lastIp: r.last_ip,
  endpointsUsed: Number(r.endpoints_used),
  lastActiveAt: toIso(r.last_active_at),
  createdAt: toIso(r.created_at),
  mergedIntoUserId: r.merged_into_user_id,
  mergedAt: toIsoOrNull(r.merged_at),
});

export const guestActor = (id: string): Actor => ({ type: 'guest', id, role: null, tenantId: null, via: 'guest' });

/** Guest identities: creation, the signed cookie, activity, merge into a user, expiry. */
export class GuestService {
  readonly cookie: GuestCookie;
  readonly activity: ActivityBuffer;
  /** Verified cookies of live guests, remembered briefly (see LiveGuestCache). */
  readonly live: LiveGuestCache;
  /** Request and reply side (reading and setting the cookie), for routes: `ensureGuest(request, reply)`. */
  readonly http: GuestHttp;
  private readonly db;

  constructor(private readonly ctx: ModuleContext<GuestsConfig>) {
    this.db = typedDb<GuestsTables>(ctx);
    this.http = new GuestHttp(this);
    this.cookie = new GuestCookie(ctx.secret, {
      development: ctx.appConfig.env === 'development',
      maxAgeDays: ctx.config.cookieMaxAgeDays,
    });
    this.activity = new ActivityBuffer(ctx.database, ctx.log);
    this.live = new LiveGuestCache((id) => this.cookie.sign(id), { ttlMs: ctx.config.resolverCacheSeconds * 1000 });
  }

  get cookieName(): string {
    return this.cookie.name;
  }

  /** Verifies the signed guest cookie in a Cookie header; null when absent or forged. */
  guestIdFromCookieHeader(cookieHeader: string | undefined): string | null {
    return this.cookie.fromHeader(cookieHeader);
  }

  /** Guests' display names by id, in one query; unknown ids are absent. For boards and lists shown to others. */
  async displayNames(ids: readonly string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await this.db.selectFrom('guests').select(['id', 'display_name']).where('id', 'in', [...ids]).execute();
    return new Map(rows.map((r) => [r.id, r.display_name]));
  }

  async get(id: string): Promise<Guest | null> {
    const row = await this.db.selectFrom('guests').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toGuest(row) : null;
  }

  /**
   * Refuses a new guest beyond createPerIpPerHour from one IP (429 with Retry-After), so a script
   * cannot fill the table. Generous by default: campaign audiences often share an IP (venues, schools).
   */
  async assertCanCreate(ip: string | null | undefined): Promise<void> {
    const limit = this.ctx.config.createPerIpPerHour;
    if (!limit || !ip) return;
    const hit = await this.ctx.rateLimiter.hit(`guests:create:${ip}`, { limit, windowMs: 3_600_000 });
    if (!hit.allowed) throw tooManyRequests(hit.retryAfterMs, 'guest_rate_limited');
  }

  /**
   * Creates a guest. `displayName` is validated; without one a friendly name is generated in
   * `locale` (the request's language; default: i18n.defaultLocale).
   */
  async create(input: { displayName?: string; ip?: string | null; locale?: 'es' | 'en' } = {}): Promise<Guest> {
    const locale = input.locale ?? this.ctx.appConfig.i18n.defaultLocale;
    const displayName = input.displayName === undefined ? generateDisplayName(this.ctx.config.namePrefix, locale) : this.checkName(input.displayName);
    const now = new Date().toISOString();
    const row: GuestRow = {
      id: randomUUID(),
      display_name: displayName,
      last_ip: input.ip ?? null,
      endpoints_used: 0,
      last_active_at: now,
      created_at: now,
      merged_into_user_id: null,
      merged_at: null,
    };
    await this.db.insertInto('guests').values(row).execute();
    return toGuest(row);
  }

  async rename(id: string, displayName: string): Promise<Guest | null> {
    const name = this.checkName(displayName);
    await this.db
      .updateTable('guests')
      .set({ display_name: name })
      .where('id', '=', id)
      .where('merged_into_user_id', 'is', null)
      .execute();
    return this.get(id);
  }

  private checkName(raw: string): string {
    const checked = validateDisplayName(raw, '/body/displayName');
    if ('error' in checked) throw badRequest('validation_failed', { errors: [checked.error] });
    return checked.value;
  }

  /** The live (existing, not merged) guest behind a Cookie header, or null. */
  async fromCookieHeader(cookieHeader: string | undefined): Promise<Guest | null> {
    const id = this.guestIdFromCookieHeader(cookieHeader);
    if (!id) return null;
    const guest = await this.get(id);
    return guest && guest.mergedIntoUserId === null ? guest : null;
  }

  /**
   * Actor resolver (order 10): a valid cookie of a live guest. Records activity in the buffer.
   * A cookie seen recently is answered from memory (no HMAC, no read); merges and deletions
   * drop it on every replica (see LiveGuestCache), so they still take effect at once.
   */
  async resolveActor(cookieHeader: string | undefined, ip: string | null): Promise<Actor | null> {
    for (const value of this.cookie.rawValues(cookieHeader)) {
      const known = this.live.get(value);
      if (known !== undefined) {
        this.activity.record(known, ip);
        return guestActor(known);
      }
      const id = this.cookie.verify(value);
      if (!id) continue;
      const stamp = this.live.stamp;
      const row = await this.db
        .selectFrom('guests')
        .select('id')
        .where('id', '=', id)
        .where('merged_into_user_id', 'is', null)
        .executeTakeFirst();
      if (!row) return null;
      this.live.remember(value, id, stamp);
      this.activity.record(id, ip);
      return guestActor(id);
    }
    return null;
  }

  /** Makes these guests' cookies stop resolving on every replica (after a merge or deletion). */
  private async forgetLive(guestIds: string[]): Promise<void> {
    try {
      await this.live.forget(this.ctx.pubsub, guestIds);
    } catch (err) {
      // Forgotten here already; other replicas fall back to the cache's short TTL.
      this.ctx.log.error({ err }, 'could not publish guest invalidation');
    }
  }

  /** The actor a guest is seen as. */
  actorFor(guestId: string): Actor {
    return guestActor(guestId);
  }

  /**
   * Moves the guest to the user. Exactly once: the conditional UPDATE lets one caller win, and
   * only the winner emits `guest.merged`, in the same transaction: the event exists if and only if
   * the merge committed, and the kernel delivers it (retrying failing handlers). Handlers must be
   * idempotent keyed on guestId. False if already merged or unknown.
   */
  async merge(guestId: string, userId: string): Promise<boolean> {
    // awaitDelivery: the user who just signed in reads the merged points and badges on the next request.
    return this.ctx.tx(async (trx) => {
      const result = await typedTrx<GuestsTables>(trx)
        .updateTable('guests')
        .set({ merged_into_user_id: userId, merged_at: new Date().toISOString() })
        .where('id', '=', guestId)
        .where('merged_into_user_id', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      trx.emit('guest.merged', { guestId, userId });
      trx.afterCommit(() => this.forgetLive([guestId]));
      return true;
    }, { awaitDelivery: true });
  }

  /**
   * Deletes guests idle longer than maxIdleDays that were never merged, in batches, and emits
   * `guest.expired` for each batch so modules can drop what those guests left behind.
   */
  async removeIdle(now = new Date(), batchSize = 500): Promise<number> {
    const cutoff = new Date(now.getTime() - this.ctx.config.maxIdleDays * 86_400_000).toISOString();
    const at = timestampParam(this.ctx.dialect, cutoff);
    let removed = 0;
    for (;;) {
      // Each batch and its guest.expired event commit together.
      const rows = await this.ctx.tx(async (trx) => {
        const t = typedTrx<GuestsTables>(trx);
        const deleted = await t
          .deleteFrom('guests')
          .where(
            'id',
            'in',
            t
              .selectFrom('guests')
              .select('id')
              .where('merged_into_user_id', 'is', null)
              .where(sql<boolean>`last_active_at < ${at}`)
              .limit(batchSize),
          )
          // The guest may have merged between the subquery and the delete on PostgreSQL.
          .where('merged_into_user_id', 'is', null)
          .returning('id')
          .execute();
        if (deleted.length) {
          const guestIds = deleted.map((r) => r.id);
          trx.emit('guest.expired', { guestIds });
          trx.afterCommit(() => this.forgetLive(guestIds));
        }
        return deleted;
      });
      if (rows.length === 0) break;
      removed += rows.length;
      if (rows.length < batchSize) break;
    }
    return removed;
  }
}
