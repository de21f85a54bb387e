import { randomUUID } from 'node:crypto';
import { typedDb, typedTrx, toIso } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import type { DevicePlatform, DeviceProvider, DeviceRow, PushTables } from './push-schema.js';
import { sha256, type PushOwner } from './webpush-subscriptions.js';

export interface DeviceInput {
  provider: DeviceProvider;
  token: string;
  platform: DevicePlatform;
}

export interface DeviceView {
  id: string;
  provider: DeviceProvider;
  platform: DevicePlatform;
  /** The token's last 8 characters, to tell devices apart; the token itself is never echoed. */
  tokenEnd: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * Device tokens of the mobile push providers (an FCM registration token, a OneSignal
 * subscription id), per user or guest. Registration is idempotent: the same token is one row
 * per provider whoever registers it, so an app that registers on every launch keeps one row, and
 * a phone that changes hands (sign-out, another account signs in) moves to the new account
 * instead of notifying both.
 */
export class Devices {
  private readonly db;

  constructor(
    private readonly ctx: ModuleContext,
    /** Devices kept per owner and provider; the least recently registered go first. */
    private readonly maxPerOwner: (provider: DeviceProvider) => number,
  ) {
    this.db = typedDb<PushTables>(ctx);
  }

  async register(owner: PushOwner, input: DeviceInput): Promise<{ device: DeviceView; created: boolean }> {
    const hash = sha256(input.token);
    const now = new Date().toISOString();
    return this.ctx.tx(async (tx) => {
      const trx = typedTrx<PushTables>(tx);
      const before = await trx.selectFrom('notif_devices').select('id').where('provider', '=', input.provider).where('token_hash', '=', hash).executeTakeFirst();
      await trx
        .insertInto('notif_devices')
        .values({ id: randomUUID(), owner_type: owner.type, owner_id: owner.id, provider: input.provider, token: input.token, token_hash: hash, platform: input.platform, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['provider', 'token_hash']).doUpdateSet({ owner_type: owner.type, owner_id: owner.id, platform: input.platform, updated_at: now }))
        .execute();
      const row = await trx.selectFrom('notif_devices').selectAll().where('provider', '=', input.provider).where('token_hash', '=', hash).executeTakeFirstOrThrow();
      const stale = await trx
        .selectFrom('notif_devices')
        .select('id')
        .where('owner_type', '=', owner.type)
        .where('owner_id', '=', owner.id)
        .where('provider', '=', input.provider)
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .offset(this.maxPerOwner(input.provider))
        .limit(1000)
        .execute();
      if (stale.length) await trx.deleteFrom('notif_devices').where('id', 'in', stale.map((s) => s.id)).execute();
      return { device: view(row), created: !before };
    });
  }

  async list(owner: PushOwner): Promise<DeviceView[]> {
    const rows = await this.db
      .selectFrom('notif_devices')
      .selectAll()
      .where('owner_type', '=', owner.type)
      .where('owner_id', '=', owner.id)
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(200)
      .execute();
    return rows.map(view);
  }

  /** The owner's devices of one provider, newest first. */
  rows(owner: PushOwner, provider: DeviceProvider): Promise<DeviceRow[]> {
    return this.db
      .selectFrom('notif_devices')
      .selectAll()
      .where('owner_type', '=', owner.type)
      .where('owner_id', '=', owner.id)
      .where('provider', '=', provider)
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(100)
      .execute();
  }

  async any(owner: PushOwner, provider: DeviceProvider): Promise<boolean> {
    const row = await this.db
      .selectFrom('notif_devices')
      .select('id')
      .where('owner_type', '=', owner.type)
      .where('owner_id', '=', owner.id)
      .where('provider', '=', provider)
      .limit(1)
      .executeTakeFirst();
    return !!row;
  }

  /** Removes one of the owner's devices (sign-out on that phone); false when not theirs. */
  async removeOwned(owner: PushOwner, id: string): Promise<boolean> {
    const res = await this.db.deleteFrom('notif_devices').where('id', '=', id).where('owner_type', '=', owner.type).where('owner_id', '=', owner.id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** The provider said these tokens are gone or invalid. */
  async remove(ids: string[]): Promise<void> {
    if (ids.length) await this.db.deleteFrom('notif_devices').where('id', 'in', ids).execute();
  }
}

const view = (r: DeviceRow): DeviceView => ({
  id: r.id,
  provider: r.provider,
  platform: r.platform,
  tokenEnd: r.token.slice(-8),
  createdAt: toIso(r.created_at),
  updatedAt: toIso(r.updated_at),
});
