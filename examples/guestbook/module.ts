import { Type, type Static } from 'typebox';
import { defineModule } from 'neptuno';
import { messages } from './messages.js';
import { guestbookRoutes } from './routes.js';
import { guestbookMigrations } from './schema.js';
import { GuestbookService } from './service.js';

declare module 'neptuno' {
  /** The job's payload: `ctx.enqueue('guestbook.moderate', …)` and the handler are checked against it. */
  interface Jobs {
    'guestbook.moderate': { id: string };
  }
}

/**
 * EXAMPLE MODULE, off by default: a public guestbook showing the shape of every module (this
 * manifest, a service holding the SQL, thin routes, tables, messages, tests beside the code),
 * living outside src/ the way your own modules do. To try it, add to neptuno.yaml:
 *
 *   moduleFiles: [./examples/guestbook/module.ts]
 *   modules:
 *     guestbook: { bannedWords: [spam, casino] }
 */

// A module outside the repository's sources types its service through the package entry.
declare module 'neptuno' {
  interface Services {
    guestbook: GuestbookService;
  }
}

const config = Type.Object(
  {
    /** Entries containing one of these words are hidden by the moderation job. */
    bannedWords: Type.Array(Type.String(), { default: ['spam'] }),
    maxMessageLength: Type.Integer({ minimum: 1, maximum: 2000, default: 280 }),
  },
  { additionalProperties: false },
);
export type GuestbookConfig = Static<typeof config>;

export default defineModule({
  name: 'guestbook',
  example: true,
  config,
  migrations: guestbookMigrations,
  messages,
  services: (ctx) => ({ guestbook: new GuestbookService(ctx) }),
  routes: guestbookRoutes,
  jobs: {
    moderate: async (payload: { id: string }, ctx) => ctx.services.guestbook.moderate(payload.id),
  },
});
