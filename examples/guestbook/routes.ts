import { Type } from 'typebox';
import { Page, PageQuery, type App, type ModuleContext } from 'neptuno';
import type { GuestbookConfig } from './module.js';

const Entry = Type.Object({
  id: Type.String(),
  name: Type.String(),
  message: Type.String(),
  status: Type.String(),
  createdAt: Type.String(),
});

/** HTTP only: schemas in, one service call, the answer out. */
export async function guestbookRoutes(app: App, ctx: ModuleContext<GuestbookConfig>) {
  const guestbook = () => ctx.services.guestbook;

  app.post(
    '/entries',
    {
      // Anonymous visitors sign the guestbook: scoped API keys are not restricted here.
      config: { scope: 'public' },
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
    async (req, reply) => reply.code(201).send(await guestbook().sign(req.body)),
  );

  app.get(
    '/entries',
    { config: { scope: 'public' }, schema: { tags: ['guestbook'], summary: 'Published entries, newest first', querystring: PageQuery, response: { 200: Page(Entry) } } },
    async (req) => guestbook().list(req.query),
  );

  app.get(
    '/entries/:id',
    { config: { scope: 'public' }, schema: { tags: ['guestbook'], params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: Entry } } },
    async (req) => guestbook().get(req.params.id),
  );
}
