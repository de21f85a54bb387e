import type { ModuleContext } from 'neptuno';

interface GuestbookConfig {
  bannedWords: string[];
}

/** Background job: publishes an entry, or hides it when it contains a banned word. */
export async function moderate(payload: { id: string }, ctx: ModuleContext<GuestbookConfig>): Promise<void> {
  const entry = await ctx.db.selectFrom('guestbook_entries').select(['message', 'status']).where('id', '=', payload.id).executeTakeFirst();
  // At-least-once delivery: a second run finds the entry already moderated and does nothing.
  if (!entry || entry.status !== 'pending') return;
  const text = String(entry.message).toLowerCase();
  const banned = ctx.config.bannedWords.some((w) => text.includes(w.toLowerCase()));
  await ctx.db
    .updateTable('guestbook_entries')
    .set({ status: banned ? 'hidden' : 'published' })
    .where('id', '=', payload.id)
    .where('status', '=', 'pending')
    .execute();
}
