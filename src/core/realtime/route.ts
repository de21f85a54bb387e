import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import websocket from '@fastify/websocket';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../module.js';
import type { RateLimiter } from '../drivers/ratelimit/contract.js';
import { COOKIE_VIAS, csrfRejected, isTrustedOrigin } from '../http/csrf.js';
import { problem, tooManyRequests } from '../http/problem.js';
import type { Access, Actor } from '../http/access.js';
import type { Realtime } from './realtime.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the realtime admission hook: the socket's actor and its connection slot. */
    realtimeAdmission?: { actor: Actor | null; release: () => void };
  }
}

/**
 * `GET <realtime.path>`: authentication and limits before the upgrade (an HTTP problem answers a
 * refusal, the socket is never opened), then the websocket handed to the realtime kernel.
 *
 * @fastify/websocket is registered inside this route's own scope, so its hooks run for this
 * route only (no cost on other requests), and it hears upgrades through a filter: a request to
 * upgrade any other path is answered 404 and closed here, never routed.
 */
export async function installRealtimeRoute(server: App, realtime: Realtime, access: Access, rateLimiter: RateLimiter): Promise<void> {
  const { path, limits } = realtime.config;
  const upgrades = new EventEmitter();
  server.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    if ((q === -1 ? url : url.slice(0, q)) === path) {
      upgrades.emit('upgrade', req, socket, head);
      return;
    }
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  const admit = async (request: FastifyRequest) => {
    // A plain GET takes no slot and no rate-limit hit (its keep-alive socket could hold slots for long).
    if (!request.ws) throw problem(426, 'upgrade_required', { headers: { upgrade: 'websocket' } });
    const actor = await request.actor();
    // Cross-site websocket hijacking: a browser sends cookies with a websocket opened by any
    // page, and websockets have no CORS. A cookie-borne socket must come from a trusted origin
    // (browsers always send Origin on websocket handshakes).
    if (actor && COOKIE_VIAS.has(actor.via)) {
      const origin = request.headers.origin;
      if (!origin || !isTrustedOrigin(origin, access.trustedOrigins())) throw csrfRejected(request);
    }
    const ip = request.ip;
    const rate = await rateLimiter.hit(`realtime:connect:${ip}`, { limit: limits.connectsPerMinutePerIp, windowMs: 60_000 });
    if (!rate.allowed) throw tooManyRequests(rate.retryAfterMs);
    const release = realtime.admit(ip, actor);
    if (!release) throw problem(429, 'realtime_connection_limit');
    // The TCP socket closing (upgraded or not) gives the slot back.
    request.raw.socket.once('close', release);
    request.realtimeAdmission = { actor, release };
  };

  await server.register(async (scope) => {
    await scope.register(websocket, {
      options: {
        server: upgrades as never,
        maxPayload: limits.maxPayloadBytes,
        clientTracking: false,
        perMessageDeflate: false,
      },
      // Sockets are closed by the realtime kernel (1001, app.ts closers) before the server closes.
      preClose: (done: () => void) => done(),
    });
    scope.route({
      method: 'GET',
      url: path,
      config: { scope: 'realtime' },
      schema: { hide: true },
      preHandler: admit,
      // Never reached: admit answers 426 to anything but an upgrade.
      handler: async (_request: FastifyRequest, _reply: FastifyReply) => {
        throw problem(426, 'upgrade_required', { headers: { upgrade: 'websocket' } });
      },
      wsHandler: (socket, request) => {
        const admission = request.realtimeAdmission!;
        realtime.accept(socket, request, admission.actor);
      },
    });
  });
}
