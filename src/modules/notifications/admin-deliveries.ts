import { paginate, type PageResult } from '../../core/db/paginate.js';
import { toIso, toIsoOrNull, typedDb } from '../../core/db/dialect.js';
import { notFound } from '../../core/http/problem.js';
import type { ModuleContext } from '../../core/module.js';
import type { NotificationsConfig } from './config.js';
import type { DeliveryRow, DeliveryStatus, NotificationTables } from './schema.js';

export interface DeliveryView {
  id: string;
  notificationId: string;
  type: string;
  recipientType: DeliveryRow['recipient_type'];
  recipientId: string;
  channel: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  providerMessageId: string | null;
  nextAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AttemptView {
  status: DeliveryStatus;
  attempt: number;
  error: string | null;
  providerMessageId: string | null;
  at: string;
}

const toView = (r: DeliveryRow & { type: string }): DeliveryView => ({
  id: r.id,
  notificationId: r.notification_id,
  type: r.type,
  recipientType: r.recipient_type,
  recipientId: r.recipient_id,
  channel: r.channel,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  providerMessageId: r.provider_message_id,
  nextAt: toIsoOrNull(r.next_at),
  createdAt: toIso(r.created_at),
  updatedAt: toIso(r.updated_at),
});

/** Reading deliveries for operators: the admin list (dead letters first of all) and the CLI. */
export class DeliveryLog {
  private readonly db;

  constructor(ctx: ModuleContext<NotificationsConfig>) {
    this.db = typedDb<NotificationTables>(ctx);
  }

  async list(q: { status?: DeliveryStatus; channel?: string; notificationId?: string; limit?: number; cursor?: string }): Promise<PageResult<DeliveryView>> {
    let query = this.db
      .selectFrom('notif_deliveries as d')
      .innerJoin('notif_notifications as n', 'n.id', 'd.notification_id')
      .selectAll('d')
      .select('n.type');
    if (q.status) query = query.where('d.status', '=', q.status);
    if (q.channel) query = query.where('d.channel', '=', q.channel);
    if (q.notificationId) query = query.where('d.notification_id', '=', q.notificationId);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['d.updated_at', 'd.id'], key: (r) => [toIso(r.updated_at), r.id] });
    return { data: page.data.map(toView), nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<DeliveryView & { attemptsLog: AttemptView[] }> {
    const row = await this.db
      .selectFrom('notif_deliveries as d')
      .innerJoin('notif_notifications as n', 'n.id', 'd.notification_id')
      .selectAll('d')
      .select('n.type')
      .where('d.id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('delivery_not_found');
    const attempts = await this.db.selectFrom('notif_attempts').selectAll().where('delivery_id', '=', id).orderBy('id').execute();
    return {
      ...toView(row),
      attemptsLog: attempts.map((a) => ({ status: a.status, attempt: a.attempt, error: a.error, providerMessageId: a.provider_message_id, at: toIso(a.created_at) })),
    };
  }

  /** Counts by status, for the admin overview and `neptuno notifications stats`. */
  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('notif_deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}
