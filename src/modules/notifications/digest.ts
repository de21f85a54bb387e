import { createHash, randomUUID } from 'node:crypto';
import { forUpdate, toIso, typedTrx } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import type { Recipient } from './channels/contract.js';
import type { NotificationsConfig } from './config.js';
import { FANOUT_JOB } from './send.js';
import type { NotificationRow, NotificationTables, NotifTrx } from './schema.js';
import type { TypeRegistry } from './types.js';

export const FLUSH_DIGEST_JOB = 'notifications.flush-digest';

/** Items kept per window (the count goes on): a digest lists a few, it is not an archive. */
const MAX_ITEMS = 50;

interface Item {
  id: string;
  data: Record<string, unknown>;
}

/**
 * Digests: sends of a digested type to one recipient (and digest key) gather in one row from
 * the first send until `windowSeconds` later, when the flush job turns them into a single
 * notification rendered with the digest templates (`{{count}}`, `{{items}}`, `{{first}}`,
 * `{{last}}`). A window of one send goes out as that send, with the type's own templates.
 */
export class Digests {
  constructor(
    private readonly ctx: ModuleContext<NotificationsConfig>,
    private readonly types: TypeRegistry,
  ) {}

  /** Adds a send to its recipient's open window (opening one, with its flush job, when none is). */
  async add(n: NotificationRow, r: Recipient & { kind: 'user' | 'guest' }, channels: string[], data: Record<string, unknown>): Promise<void> {
    const def = this.types.get(n.type)!;
    const key = this.types.digestKey(n.type, data);
    const id = createHash('sha256').update(JSON.stringify([n.type, r.kind, r.id, key])).digest('hex').slice(0, 40);
    const windowMs = def.digest!.windowSeconds * 1000;
    await this.ctx.tx(async (tx) => {
      const trx = typedTrx<NotificationTables>(tx) as NotifTrx;
      const now = new Date();
      const flushAt = new Date(now.getTime() + windowMs);
      const created = await trx
        .insertInto('notif_digests')
        .values({
          id,
          type: n.type,
          recipient_type: r.kind,
          recipient_id: r.id,
          digest_key: key,
          channels: JSON.stringify(channels),
          critical: n.critical,
          count: 1,
          items: JSON.stringify([{ id: n.id, data }]),
          flush_at: flushAt.toISOString(),
          created_at: now.toISOString(),
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(created.numInsertedOrUpdatedRows)) {
        trx.enqueue(FLUSH_DIGEST_JOB, { id }, { delayMs: windowMs, jobId: `notif-digest-${id}-${flushAt.getTime()}`, attempts: 5 });
        return;
      }
      // The window is open: join it. The row lock keeps concurrent sends (and the flush) in line on PostgreSQL.
      const row = await trx.selectFrom('notif_digests').selectAll().where('id', '=', id).$call(forUpdate(this.ctx.dialect)).executeTakeFirstOrThrow();
      const items = JSON.parse(row.items) as Item[];
      // A re-run fan-out of the same send must not count it twice.
      if (items.some((i) => i.id === n.id)) return;
      // Fan-out jobs run in any order (several workers): keep the items in send order (ids are
      // time-ordered), so `first` and `last` are the first and the latest send; past MAX_ITEMS the
      // oldest after the first make room.
      items.push({ id: n.id, data });
      items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (items.length > MAX_ITEMS) items.splice(1, 1);
      await trx.updateTable('notif_digests').set({ count: row.count + 1, items: JSON.stringify(items) }).where('id', '=', id).execute();
    });
  }

  /** The flush job: the window's sends become one notification (fanned out like any other). */
  async flush(id: string): Promise<void> {
    await this.ctx.tx(async (tx) => {
      const trx = typedTrx<NotificationTables>(tx) as NotifTrx;
      const row = await trx.selectFrom('notif_digests').selectAll().where('id', '=', id).$call(forUpdate(this.ctx.dialect)).executeTakeFirst();
      if (!row) return;
      await trx.deleteFrom('notif_digests').where('id', '=', id).execute();
      const items = JSON.parse(row.items) as Item[];
      const single = row.count === 1;
      const data = single ? items[0].data : { count: row.count, items: items.map((i) => i.data), first: items[0].data, last: items[items.length - 1].data };
      const nid = randomUUID();
      const target = row.recipient_type === 'user' ? { userId: row.recipient_id } : { guestId: row.recipient_id };
      const res = await trx
        .insertInto('notif_notifications')
        .values({
          id: nid,
          type: row.type,
          idem_key: `digest:${id}:${new Date(toIso(row.flush_at)).getTime()}`,
          target: JSON.stringify(target),
          data: JSON.stringify(data),
          channels: row.channels,
          critical: row.critical,
          // 1: render with the digest templates; 2: a window of one, sent as itself. Neither is digested again.
          digest: single ? 2 : 1,
          created_at: new Date().toISOString(),
          fanned_out_at: null,
        })
        .onConflict((oc) => oc.column('idem_key').doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows)) trx.enqueue(FANOUT_JOB, { id: nid }, { jobId: `notif-fanout-${nid}` });
    });
  }
}
