import { paginate, type PageResult } from '../../core/db/paginate.js';
import { toIso, toIsoOrNull, typedDb, typedTrx } from '../../core/db/dialect.js';
import { notFound } from '../../core/http/problem.js';
import type { ModuleContext } from '../../core/module.js';
import type { NotificationsConfig } from './config.js';
import { liveChannel, realtimeOf } from './live.js';
import type { InboxRow, NotificationTables, RecipientType } from './schema.js';

export interface InboxOwner {
  type: RecipientType;
  id: string;
}

export interface InboxItem {
  id: string;
  notificationId: string;
  type: string;
  title: string;
  body: string;
  url: string | null;
  data: Record<string, unknown>;
  read: boolean;
  readAt: string | null;
  createdAt: string;
}

export const toItem = (r: InboxRow): InboxItem => ({
  id: r.id,
  notificationId: r.notification_id,
  type: r.type,
  title: r.title,
  body: r.body,
  url: r.url,
  data: JSON.parse(r.data) as Record<string, unknown>,
  read: r.read_at !== null,
  readAt: toIsoOrNull(r.read_at),
  createdAt: toIso(r.created_at),
});

/**
 * The in-app inbox of a user or guest: items written by the in-app channel, read and cleared
 * by their owner. Every change is pushed to the owner's realtime channel (`user:{id}` or
 * `guest:{id}`) with the new unread count, so every open tab stays in step.
 */
export class Inbox {
  private readonly db;

  constructor(private readonly ctx: ModuleContext<NotificationsConfig>) {
    this.db = typedDb<NotificationTables>(ctx);
  }

  private mine(owner: InboxOwner) {
    return this.db.selectFrom('notif_inbox').where('recipient_type', '=', owner.type).where('recipient_id', '=', owner.id);
  }

  async unread(owner: InboxOwner): Promise<number> {
    const row = await this.mine(owner).select((eb) => eb.fn.countAll<number>().as('n')).where('read_at', 'is', null).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async list(owner: InboxOwner, page: { limit?: number; cursor?: string; unreadOnly?: boolean }): Promise<PageResult<InboxItem> & { unread: number }> {
    let q = this.mine(owner).selectAll();
    if (page.unreadOnly) q = q.where('read_at', 'is', null);
    const rows = await paginate(q, { limit: page.limit, cursor: page.cursor, orderBy: ['created_at', 'id'], key: (r) => [String(toIso(r.created_at)), r.id] });
    return { data: rows.data.map(toItem), nextCursor: rows.nextCursor, unread: await this.unread(owner) };
  }

  /** Pushes an inbox change live (best effort: a client that missed it reads the list). */
  async push(owner: InboxOwner, event: Record<string, unknown>): Promise<void> {
    const rt = realtimeOf(this.ctx);
    if (!rt) return;
    try {
      await rt.publish(liveChannel(owner.type, owner.id), { kind: 'notifications', ...event, unread: await this.unread(owner) });
    } catch (err) {
      this.ctx.log.warn({ err }, 'could not publish an inbox change');
    }
  }

  async markRead(owner: InboxOwner, id: string): Promise<InboxItem> {
    const now = new Date().toISOString();
    await this.db
      .updateTable('notif_inbox')
      .set({ read_at: now })
      .where('id', '=', id)
      .where('recipient_type', '=', owner.type)
      .where('recipient_id', '=', owner.id)
      .where('read_at', 'is', null)
      .execute();
    const row = await this.mine(owner).selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('notification_not_found');
    await this.push(owner, { event: 'read', id });
    return toItem(row);
  }

  async readAll(owner: InboxOwner): Promise<number> {
    const res = await this.db
      .updateTable('notif_inbox')
      .set({ read_at: new Date().toISOString() })
      .where('recipient_type', '=', owner.type)
      .where('recipient_id', '=', owner.id)
      .where('read_at', 'is', null)
      .executeTakeFirst();
    await this.push(owner, { event: 'read_all' });
    return Number(res.numUpdatedRows);
  }

  async remove(owner: InboxOwner, id: string): Promise<void> {
    const res = await this.db
      .deleteFrom('notif_inbox')
      .where('id', '=', id)
      .where('recipient_type', '=', owner.type)
      .where('recipient_id', '=', owner.id)
      .executeTakeFirst();
    if (!Number(res.numDeletedRows)) throw notFound('notification_not_found');
    await this.push(owner, { event: 'deleted', id });
  }

  /** A guest who signs up keeps their inbox. Idempotent (a second run finds nothing left to move). */
  async merge(guestId: string, userId: string): Promise<void> {
    await this.ctx.tx(async (tx) => {
      const trx = typedTrx<NotificationTables>(tx);
      const rows = await trx.selectFrom('notif_inbox').select(['id', 'notification_id']).where('recipient_type', '=', 'guest').where('recipient_id', '=', guestId).execute();
      for (const r of rows) {
        const clash = await trx
          .selectFrom('notif_inbox')
          .select('id')
          .where('notification_id', '=', r.notification_id)
          .where('recipient_type', '=', 'user')
          .where('recipient_id', '=', userId)
          .executeTakeFirst();
        if (clash) await trx.deleteFrom('notif_inbox').where('id', '=', r.id).execute();
        else await trx.updateTable('notif_inbox').set({ recipient_type: 'user', recipient_id: userId }).where('id', '=', r.id).execute();
      }
    });
  }

  async forget(owner: InboxOwner): Promise<void> {
    await this.db.deleteFrom('notif_inbox').where('recipient_type', '=', owner.type).where('recipient_id', '=', owner.id).execute();
  }
}
