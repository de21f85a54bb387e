import { Type } from 'typebox';
import { defineModule } from 'neptuno';
import { guestbookMigrations } from './schema.js';
import { guestbookRoutes } from './routes.js';
import { moderate } from './moderate.js';

/**
 * A complete module living outside src/: its own table, routes, background job and config,
 * switched on from neptuno.yaml (`moduleFiles` + `modules.guestbook.enabled`).
 */
export default defineModule({
  name: 'guestbook',
  config: Type.Object(
    {
      /** Entries containing one of these words are hidden by the moderation job. */
      bannedWords: Type.Array(Type.String(), { default: ['spam'] }),
      maxMessageLength: Type.Integer({ minimum: 1, maximum: 2000, default: 280 }),
    },
    { additionalProperties: false },
  ),
  migrations: guestbookMigrations,
  routes: guestbookRoutes,
  jobs: { moderate },
  messages: {
    es: { entry_not_found: 'Entrada no encontrada' },
    en: { entry_not_found: 'Entry not found' },
  },
});
