import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import { notFound, paginate, Page, PageQuery, type App, type ModuleContext } from 'neptuno';
import type { EntryRow } from './schema.js';

const Entry = Type.Object({
  id: Type.String(),
  name: Type.String(),
  message: Type.String(),
  status: Type.String(),
  createdAt: Type.String(),
});

const view = (r: EntryRow) => ({ id: r.id, name: r.name, message: r.message, status: r.status, createdAt: r.created_at });

export async function guestbookRoutes(app: App, ctx: ModuleContext<{ maxMessageLength: number }>) {
  app.post(
    '/entries',
    {
      schema: {
        tags: ['guestbook'],
        summary: 'Sign the guestbook (published after moderation)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 80, pattern: '^[^\\p{Cc}]+$' }),
            message: Type.String({ minLength: 1, maxLength: ctx.config.maxMessageLength }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Entry },
      },
    },
    async (req, reply) => {
      const row: EntryRow = { id: randomUUID(), ...(req.body as { name: string; message: string }), status: 'pending', created_at: new Date().toISOString() };
      await ctx.db.insertInto('guestbook_entries').values(row).execute();
      await ctx.enqueue('guestbook.moderate', { id: row.id }, { jobId: `moderate:${row.id}` });
      return reply.code(201).send(view(row));
    },
  );

  app.get(
    '/entries',
    {
      schema: { tags: ['guestbook'], summary: 'Published entries, newest first', querystring: PageQuery, response: { 200: Page(Entry) } },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string };
      const page = await paginate(
        ctx.db.selectFrom('guestbook_entries').selectAll().where('status', '=', 'published'),
        { limit: q.limit, cursor: q.cursor, orderBy: ['created_at', 'id'], key: (r) => [r.created_at, r.id] },
      );
      return { data: (page.data as EntryRow[]).map(view), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/entries/:id',
    { schema: { tags: ['guestbook'], params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: Entry } } },
    async (req) => {
      const row = await ctx.db.selectFrom('guestbook_entries').selectAll().where('id', '=', (req.params as { id: string }).id).executeTakeFirst();
      if (!row) throw notFound('entry_not_found');
      return view(row as EntryRow);
    },
  );
}
