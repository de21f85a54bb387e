import { badRequest } from '../../core/http/problem.js';
import type { FieldError } from '../../core/http/problem.js';
import { typedDb, typedTrx } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import type { ChannelRegistry } from './channels/registry.js';
import type { NotificationsConfig } from './config.js';
import type { NotificationTables } from './schema.js';
import type { TypeRegistry } from './types.js';

/** `*` as the type: the user's switch for a whole channel (every type that allows opting out). */
export const ALL_TYPES = '*';

export interface PreferenceView {
  type: string;
  /** False: mandatory (account, legal): always sent. */
  optOut: boolean;
  /** Channel → on/off, for every channel this type uses by default. */
  channels: Record<string, boolean>;
}

export interface PreferenceChange {
  type: string;
  channel: string;
  enabled: boolean;
}

/**
 * Per user, per type and channel. Only opt-outs (and opt-ins back) are stored: a user with no
 * rows gets everything. Types that do not allow opting out ignore the rows.
 */
export class Preferences {
  private readonly db;

  constructor(
    private readonly ctx: ModuleContext<NotificationsConfig>,
    private readonly types: TypeRegistry,
    private readonly channels: ChannelRegistry,
  ) {
    this.db = typedDb<NotificationTables>(ctx);
  }

  /** The opt-outs of a user among these types (type → channels switched off), in one query. */
  async optedOut(userId: string, type: string): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('notif_preferences')
      .select(['type', 'channel', 'enabled'])
      .where('user_id', '=', userId)
      .where('type', 'in', [type, ALL_TYPES])
      .execute();
    const off = new Set<string>();
    // The channel-wide switch first, then the type's own row wins over it.
    for (const r of rows.filter((r) => r.type === ALL_TYPES)) if (!r.enabled) off.add(r.channel);
    for (const r of rows.filter((r) => r.type === type)) {
      if (r.enabled) off.delete(r.channel);
      else off.add(r.channel);
    }
    return off;
  }

  async list(userId: string): Promise<PreferenceView[]> {
    const rows = await this.db.selectFrom('notif_preferences').select(['type', 'channel', 'enabled']).where('user_id', '=', userId).execute();
    const find = (type: string, channel: string) => rows.find((r) => r.type === type && r.channel === channel);
    const available = this.channels.names();
    return this.types
      .names()
      .map((name) => this.types.get(name)!)
      .map((t) => {
        const channels: Record<string, boolean> = {};
        for (const c of t.channels.filter((c) => available.includes(c))) {
          const own = find(t.name, c);
          const all = find(ALL_TYPES, c);
          channels[c] = !t.optOut || (own ? own.enabled === 1 : all ? all.enabled === 1 : true);
        }
        return { type: t.name, optOut: t.optOut, channels };
      });
  }

  /** Applies every change or none (a mandatory type or an unknown name is a 400/422 naming the item). */
  async update(userId: string, changes: PreferenceChange[]): Promise<PreferenceView[]> {
    const errors: FieldError[] = [];
    const available = this.channels.names();
    changes.forEach((c, i) => {
      const type = c.type === ALL_TYPES ? null : this.types.get(c.type);
      if (c.type !== ALL_TYPES && !type) errors.push({ pointer: `/body/changes/${i}/type`, code: 'unknown_type', detail: `No notification type ${c.type}` });
      else if (type && !type.optOut && !c.enabled) errors.push({ pointer: `/body/changes/${i}/type`, code: 'preference_locked', detail: `${c.type} cannot be switched off` });
      if (!available.includes(c.channel)) errors.push({ pointer: `/body/changes/${i}/channel`, code: 'unknown_channel', detail: `No channel ${c.channel}` });
    });
    if (errors.length) throw badRequest('validation_failed', { errors });
    const now = new Date().toISOString();
    await this.ctx.tx(async (tx) => {
      const trx = typedTrx<NotificationTables>(tx);
      for (const c of changes) {
        await trx
          .insertInto('notif_preferences')
          .values({ user_id: userId, type: c.type, channel: c.channel, enabled: c.enabled ? 1 : 0, updated_at: now })
          .onConflict((oc) => oc.columns(['user_id', 'type', 'channel']).doUpdateSet({ enabled: c.enabled ? 1 : 0, updated_at: now }))
          .execute();
      }
    });
    return this.list(userId);
  }

  async forget(userId: string): Promise<void> {
    await this.db.deleteFrom('notif_preferences').where('user_id', '=', userId).execute();
  }
}
