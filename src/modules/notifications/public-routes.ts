import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { badRequest } from '../../core/http/problem.js';
import { Problem, PublicNewsSchema } from './api.js';
import type { NotificationsConfig } from './config.js';
import type { NotificationService } from './service.js';
import { unsubscribePage } from './unsubscribe-page.js';
import { webPushPublicRoutes } from './push-routes.js';

const TokenQuery = Type.Object({ token: Type.String({ minLength: 3, maxLength: 1024 }) }, { additionalProperties: false });

/** Mounted at the root: `GET /v1/public/news` (the landing page's dropdown) — fixed by the API. */
export async function newsPublicRoutes(app: App, ctx: ModuleContext<NotificationsConfig>) {
  const svc = () => ctx.services.notifications as NotificationService;
  app.get(
    '/v1/public/news',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['notifications', 'news'],
        summary: 'News-bar items for this visitor, in their language',
        description: 'Anonymous visitors see audience "everyone"; guests and users also see theirs (role, tenant), minus what they dismissed.',
        response: { 200: Type.Object({ data: Type.Array(PublicNewsSchema) }) },
      },
    },
    async (request) => ({ data: await svc().news.forVisitor(await request.actor(), ctx.i18n.negotiate(request.headers['accept-language'])) }),
  );
}

/** Mounted under /v1/public/notifications: unsubscribe links from emails (no sign-in). */
export async function notificationPublicRoutes(app: App, ctx: ModuleContext<NotificationsConfig>) {
  const svc = () => ctx.services.notifications as NotificationService;
  // Mail clients' one-click unsubscribe (RFC 8058) and the page's own form post a form body we ignore.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, _body, done) => done(null, {}));
  const claim = (token: string) => {
    const c = svc().links.verify(token);
    if (!c) throw badRequest('unsubscribe_invalid');
    return c;
  };

  app.get(
    '/unsubscribe',
    {
      schema: {
        tags: ['notifications'],
        summary: 'The page an email unsubscribe link opens: asks to confirm (a GET never changes anything: mail scanners follow links)',
        querystring: TokenQuery,
        response: { 400: Problem },
      },
    },
    async (request, reply) => {
      const c = claim(request.query.token);
      const locale = ctx.i18n.negotiate(request.headers['accept-language']);
      return reply.type('text/html; charset=utf-8').send(unsubscribePage(locale, c.type, request.query.token, false) as never);
    },
  );

  app.post(
    '/unsubscribe',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Switch the type named by the token off on its channel (one-click, RFC 8058)',
        querystring: TokenQuery,
        response: { 400: Problem },
      },
    },
    async (request, reply) => {
      const c = claim(request.query.token);
      const type = svc().types.get(c.type);
      // A type that became mandatory since the email went out stays on; the page says it is done anyway.
      if (type?.optOut) await svc().preferences.update(c.userId, [{ type: c.type, channel: c.channel, enabled: false }]).catch(() => undefined);
      const locale = ctx.i18n.negotiate(request.headers['accept-language']);
      return reply.type('text/html; charset=utf-8').send(unsubscribePage(locale, c.type, request.query.token, true) as never);
    },
  );

  await webPushPublicRoutes(app, ctx);
}
