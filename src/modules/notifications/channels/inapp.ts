import { randomUUID } from 'node:crypto';
import { typedDb } from '../../../core/db/dialect.js';
import type { ModuleContext } from '../../../core/module.js';
import type { NotificationsConfig } from '../config.js';
import { toItem, type Inbox } from '../inbox.js';
import type { NotificationTables } from '../schema.js';
import type { NotificationChannel } from './contract.js';

/**
 * In-app: the item lands in the recipient's inbox and is pushed live on `user:{id}` /
 * `guest:{id}`. Reaches everyone (guests too), never held by quiet hours (an inbox is silent).
 * Idempotent: a retried delivery finds its item already there.
 */
export function inAppChannel(ctx: ModuleContext<NotificationsConfig>, inbox: Inbox): NotificationChannel {
  const db = typedDb<NotificationTables>(ctx);
  return {
    name: 'inapp',
    quietHours: false,
    retry: { attempts: 5, backoffMs: 2_000 },
    // A bare address (a one-time code's email or number) has no inbox.
    canReach: (r) => r.kind !== 'address',
    async send(d) {
      const owner = { type: d.recipient.kind as 'user' | 'guest', id: d.recipient.id };
      const row = {
        id: randomUUID(),
        recipient_type: owner.type,
        recipient_id: owner.id,
        notification_id: d.notificationId,
        type: d.type,
        title: d.content.title.slice(0, 500),
        body: d.content.body,
        url: d.content.url?.slice(0, 2000) ?? null,
        data: JSON.stringify(d.data),
        read_at: null,
        created_at: new Date().toISOString(),
      };
      await db
        .insertInto('notif_inbox')
        .values(row)
        .onConflict((oc) => oc.columns(['notification_id', 'recipient_type', 'recipient_id']).doNothing())
        .execute();
      const stored = await db
        .selectFrom('notif_inbox')
        .selectAll()
        .where('notification_id', '=', d.notificationId)
        .where('recipient_type', '=', owner.type)
        .where('recipient_id', '=', owner.id)
        .executeTakeFirstOrThrow();
      await inbox.push(owner, { event: 'created', item: toItem(stored) });
      return { status: 'delivered', providerMessageId: stored.id };
    },
  };
}
