import { createHash, ECDH, randomUUID } from 'node:crypto';
import { typedDb, typedTrx, toIso } from '../../core/db/dialect.js';
import { badRequest } from '../../core/http/problem.js';
import type { ModuleContext } from '../../core/module.js';
import { hostAllowed, type WebPushSettings } from './push-settings.js';
import type { PushTables, WebPushSubscriptionRow } from './push-schema.js';
import type { RecipientType } from './schema.js';

export interface PushOwner {
  type: RecipientType;
  id: string;
}

/** What a browser's `PushSubscription.toJSON()` holds (plus its user agent, for the owner's list). */
export interface WebPushSubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  userAgent?: string | null;
}

export interface WebPushSubscriptionView {
  id: string;
  endpoint: string;
  userAgent: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The owner of a recipient's browsers and devices; null for a bare address (a one-time code to a phone or email), which has none. */
export const ownerOf = (r: { kind: string; id: string }): PushOwner | null => (r.kind === 'user' || r.kind === 'guest' ? { type: r.kind, id: r.id } : null);

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/**
 * Browsers' push subscriptions per user or guest. One row per endpoint: a browser subscribing
 * again (or for another account, after a sign-in on a shared computer) moves the row, never
 * doubles it. Endpoints are checked against `allowedHosts` before anything is stored.
 */
export class WebPushSubscriptions {
  private readonly db;

  constructor(
    private readonly ctx: ModuleContext,
    private readonly settings: WebPushSettings,
  ) {
    this.db = typedDb<PushTables>(ctx);
  }

  /** Checks a subscription (400 problems pointing at the field); returns it normalized. */
  check(input: WebPushSubscriptionInput): WebPushSubscriptionInput {
    let url: URL | null = null;
    try {
      url = new URL(input.endpoint);
    } catch {
      url = null;
    }
    if (!url || url.protocol !== 'https:' || url.username || url.password || !hostAllowed(url.hostname, this.settings.allowedHosts))
      throw badRequest('webpush_endpoint_invalid', { errors: [{ pointer: '/body/endpoint', code: 'webpush_endpoint_invalid', detail: 'An https URL of a known push service' }] });
    const p256dh = decode(input.keys.p256dh);
    if (p256dh?.length !== 65 || p256dh[0] !== 4 || !onCurve(p256dh))
      throw badRequest('webpush_keys_invalid', { errors: [{ pointer: '/body/keys/p256dh', code: 'webpush_keys_invalid', detail: 'An uncompressed P-256 public key, base64url' }] });
    if (decode(input.keys.auth)?.length !== 16)
      throw badRequest('webpush_keys_invalid', { errors: [{ pointer: '/body/keys/auth', code: 'webpush_keys_invalid', detail: 'A 16-byte auth secret, base64url' }] });
    return { endpoint: url.href, keys: { p256dh: input.keys.p256dh.replace(/=+$/, ''), auth: input.keys.auth.replace(/=+$/, '') }, userAgent: input.userAgent?.slice(0, 300) ?? null };
  }

  /** Stores (or moves to this owner) a subscription; keeps the owner's newest `maxPerOwner`. */
  async subscribe(owner: PushOwner, raw: WebPushSubscriptionInput): Promise<{ subscription: WebPushSubscriptionView; created: boolean }> {
    const input = this.check(raw);
    const hash = sha256(input.endpoint);
    const now = new Date().toISOString();
    return this.ctx.tx(async (tx) => {
      const trx = typedTrx<PushTables>(tx);
      const before = await trx.selectFrom('notif_webpush_subscriptions').select('id').where('endpoint_hash', '=', hash).executeTakeFirst();
      await trx
        .insertInto('notif_webpush_subscriptions')
        .values({
          id: randomUUID(),
          owner_type: owner.type,
          owner_id: owner.id,
          endpoint: input.endpoint,
          endpoint_hash: hash,
          p256dh: input.keys.p256dh,
          auth: input.keys.auth,
          user_agent: input.userAgent ?? null,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.column('endpoint_hash').doUpdateSet({ owner_type: owner.type, owner_id: owner.id, p256dh: input.keys.p256dh, auth: input.keys.auth, user_agent: input.userAgent ?? null, updated_at: now }),
        )
        .execute();
      const row = await trx.selectFrom('notif_webpush_subscriptions').selectAll().where('endpoint_hash', '=', hash).executeTakeFirstOrThrow();
      const stale = await trx
        .selectFrom('notif_webpush_subscriptions')
        .select('id')
        .where('owner_type', '=', owner.type)
        .where('owner_id', '=', owner.id)
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .offset(this.settings.maxPerOwner)
        .limit(1000)
        .execute();
      if (stale.length) await trx.deleteFrom('notif_webpush_subscriptions').where('id', 'in', stale.map((s) => s.id)).execute();
      return { subscription: view(row), created: !before };
    });
  }

  /** Removes the owner's subscription with this endpoint (the browser unsubscribed); false when none. */
  async unsubscribe(owner: PushOwner, endpoint: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('notif_webpush_subscriptions')
      .where('endpoint_hash', '=', sha256(endpoint))
      .where('owner_type', '=', owner.type)
      .where('owner_id', '=', owner.id)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Removes one of the owner's subscriptions by id; false when it is not theirs or not there. */
  async removeOwned(owner: PushOwner, id: string): Promise<boolean> {
    const res = await this.db.deleteFrom('notif_webpush_subscriptions').where('id', '=', id).where('owner_type', '=', owner.type).where('owner_id', '=', owner.id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async list(owner: PushOwner): Promise<WebPushSubscriptionView[]> {
    const rows = await this.rows(owner);
    return rows.map(view);
  }

  rows(owner: PushOwner): Promise<WebPushSubscriptionRow[]> {
    return this.db
      .selectFrom('notif_webpush_subscriptions')
      .selectAll()
      .where('owner_type', '=', owner.type)
      .where('owner_id', '=', owner.id)
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(100)
      .execute();
  }

  async any(owner: PushOwner): Promise<boolean> {
    const row = await this.db.selectFrom('notif_webpush_subscriptions').select('id').where('owner_type', '=', owner.type).where('owner_id', '=', owner.id).limit(1).executeTakeFirst();
    return !!row;
  }

  /** The push service said the subscription is gone (404/410). */
  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('notif_webpush_subscriptions').where('id', '=', id).execute();
  }
}

function decode(b64url: string): Buffer | null {
  if (!B64URL.test(b64url)) return null;
  return Buffer.from(b64url, 'base64url');
}

/** A point a browser could have made: ECDH refuses anything off the curve. */
function onCurve(point: Buffer): boolean {
  try {
    ECDH.convertKey(point, 'prime256v1', undefined, undefined, 'uncompressed');
    return true;
  } catch {
    return false;
  }
}

const view = (r: WebPushSubscriptionRow): WebPushSubscriptionView => ({
  id: r.id,
  endpoint: r.endpoint,
  userAgent: r.user_agent,
  createdAt: toIso(r.created_at),
  updatedAt: toIso(r.updated_at),
});
