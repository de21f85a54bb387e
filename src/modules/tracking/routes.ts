import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../core/http/access.js';
import { isTrustedOrigin, requestOrigin } from '../../core/http/csrf.js';
import { badRequest, forbidden, HttpProblem } from '../../core/http/problem.js';
import type { App, ModuleContext } from '../../core/module.js';
import { EventsBody, IngestResult, Problem } from './api.js';
import type { TrackingConfig } from './config.js';
import type { EventInput } from './events.js';
import { parseTextJson } from './text-body.js';
import type { Sender } from './service.js';

/** What a request says about its sender; the IP goes no further than the visitor hash and the rate limit. */
export function senderOf(request: FastifyRequest, actor: Actor | null): Sender {
  return {
    ip: request.ip,
    userAgent: String(request.headers['user-agent'] ?? '').slice(0, 512),
    optedOut: request.headers.dnt === '1' || request.headers['sec-gpc'] === '1',
    userId: actor?.type === 'user' ? actor.id : null,
    guestId: actor?.type === 'guest' ? actor.id : null,
  };
}

/** Mounted under /v1/tracking. */
export async function trackingRoutes(app: App, ctx: ModuleContext<TrackingConfig>) {
  const tracking = () => ctx.services.tracking;
  const allowed = () => [...ctx.access.trustedOrigins(), ...ctx.config.origins];

  // navigator.sendBeacon can only send a "simple" body without a CORS preflight: text/plain. It
  // carries the same JSON, parsed under the kernel's input rules.
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: 65_536 }, parseTextJson);

  app.post(
    '/events',
    {
      config: { scope: 'public' },
      bodyLimit: 65_536,
      schema: {
        tags: ['tracking'],
        summary: 'Record page views, clicks, custom and engagement events (one, or a batch in `events`)',
        description:
          'From pages of the API\'s own origin or of trusted origins (server.cors.origins, modules.auth.trustedOrigins, modules.tracking.origins), by fetch (JSON) or navigator.sendBeacon (text/plain JSON). No cookie needed; a guest or user cookie links the events to them. Answered once the events are stored.',
        body: EventsBody,
        response: { 202: IngestResult, 400: Problem, 403: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      // A page may only report from where it is served. Without Origin or Referer (no browser
      // omits both on a POST), a server must say who it is with a bearer token or API key.
      const origin = requestOrigin(request);
      const headerCredential = Boolean(request.headers.authorization || request.headers['x-api-key']);
      if (origin ? !isTrustedOrigin(origin, allowed()) : !headerCredential) {
        throw origin ? forbidden('tracking_origin_rejected', { params: { origin } }) : forbidden('tracking_origin_rejected', { detailKey: 'tracking_origin_rejected.missing' });
      }
      let actor: Actor | null = null;
      try {
        actor = await request.actor();
      } catch (err) {
        // An origin trusted by this module but not for cookie requests, or a refused credential:
        // the events are still welcome, anonymous.
        if (!(err instanceof HttpProblem)) throw err;
      }
      if (headerCredential && !origin && !actor) throw forbidden('tracking_origin_rejected', { detailKey: 'tracking_origin_rejected.missing' });
      const body = request.body;
      let events: EventInput[];
      let pointer: string;
      if (body.events) {
        if (body.type !== undefined || body.url !== undefined) throw badRequest('validation_failed', { errors: [{ pointer: '/body/events', code: 'oneOf', detail: 'Either one event or `events`, not both' }] });
        events = body.events;
        pointer = '/body/events';
      } else {
        if (!body.type || !body.url) {
          throw badRequest('validation_failed', { errors: [{ pointer: body.type ? '/body/url' : '/body/type', code: 'required', detail: 'One event needs type and url (or send `events`)' }] });
        }
        const { events: _none, ...one } = body;
        events = [one as EventInput];
        pointer = '/body';
      }
      tracking().validate(events, pointer);
      const result = await tracking().ingest(senderOf(request, actor), events);
      // sendBeacon and no-cors fetches read nothing, but Chromium still refuses a no-cors answer
      // whose resource policy is same-site (the kernel's default) and logs an error on the page.
      return reply.code(202).header('cross-origin-resource-policy', 'cross-origin').send(result);
    },
  );
}
