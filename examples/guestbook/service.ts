import { randomUUID } from 'node:crypto';
import { notFound, paginate, toIso, typedDb, typedTrx, type ModuleContext, type PageResult } from 'neptuno';
import type { GuestbookConfig } from './module.js';
import type { EntryRow, GuestbookTables } from './schema.js';

export interface Entry {
  id: string;
  name: string;
  message: string;
  status: EntryRow['status'];
  createdAt: string;
}

const view = (r: EntryRow): Entry => ({ id: r.id, name: r.name, message: r.message, status: r.status, createdAt: toIso(r.created_at) });

/** The guestbook: all its SQL lives here; routes and the moderation job call it. */
export class GuestbookService {
  private readonly db;

  constructor(private readonly ctx: ModuleContext<GuestbookConfig>) {
    this.db = typedDb<GuestbookTables>(ctx);
  }

  /** A new entry, pending until the moderation job has looked at it. */
  async sign(input: { name: string; message: string }): Promise<Entry> {
    const row: EntryRow = { id: randomUUID(), name: input.name, message: input.message, status: 'pending', created_at: new Date().toISOString() };
    await this.ctx.tx(async (trx) => {
      await typedTrx<GuestbookTables>(trx).insertInto('guestbook_entries').values(row).execute();
      // The moderation job commits with the entry: no entry without its job, no job without its entry.
      trx.enqueue('guestbook.moderate', { id: row.id }, { jobId: `moderate:${row.id}` });
    });
    return view(row);
  }

  /** Published entries, newest first. */
  async list(page: { limit?: number; cursor?: string }): Promise<PageResult<Entry>> {
    const result = await paginate(this.db.selectFrom('guestbook_entries').selectAll().where('status', '=', 'published'), {
      ...page,
      orderBy: ['created_at', 'id'],
      key: (r) => [toIso(r.created_at), r.id],
    });
    return { data: result.data.map(view), nextCursor: result.nextCursor };
  }

  async get(id: string): Promise<Entry> {
    const row = await this.db.selectFrom('guestbook_entries').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('entry_not_found');
    return view(row);
  }

  /**
   * Job `guestbook.moderate`: publishes the entry, or hides it when it contains a banned word.
   * Jobs run at least once: a second run finds the entry no longer pending and changes nothing.
   */
  async moderate(id: string): Promise<void> {
    const entry = await this.db.selectFrom('guestbook_entries').select(['message', 'status']).where('id', '=', id).executeTakeFirst();
    if (!entry || entry.status !== 'pending') return;
    const text = entry.message.toLowerCase();
    const banned = this.ctx.config.bannedWords.some((w) => text.includes(w.toLowerCase()));
    await this.db
      .updateTable('guestbook_entries')
      .set({ status: banned ? 'hidden' : 'published' })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }
}
