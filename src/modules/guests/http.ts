import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Guest, GuestService } from './service.js';

/**
 * The HTTP side of guest identities, for routes (this module's and other modules'): reads the
 * cookie from a request, sets it on a reply. GuestService itself takes plain values only.
 * Reached as `ctx.services.guests.http`.
 */
export class GuestHttp {
  /** Guests created by ensureGuest during a request, so two calls in one request create one guest. */
  private readonly ensured = new WeakMap<FastifyRequest, Guest>();

  constructor(private readonly guests: GuestService) {}

  /** The live (existing, not merged) guest behind the request's cookie, or null. */
  fromRequest(request: FastifyRequest): Promise<Guest | null> {
    return this.guests.fromCookieHeader(request.headers.cookie);
  }

  /**
   * The caller's guest, created (and its cookie set) when there is none. For modules that let
   * anonymous visitors play: call it only when `request.actor()` is null or a guest. After it,
   * `request.actor()` answers the guest within the same request.
   */
  async ensureGuest(request: FastifyRequest, reply: FastifyReply): Promise<Guest> {
    const memo = this.ensured.get(request);
    if (memo) return memo;
    const current = await this.fromRequest(request);
    if (current) return current;
    await this.guests.assertCanCreate(request.ip);
    const guest = await this.guests.create({ ip: request.ip ?? null, locale: request.locale });
    this.guests.cookie.set(reply, guest.id);
    this.ensured.set(request, guest);
    const actor = await request.actor();
    if (!actor) request._actor = Promise.resolve(this.guests.actorFor(guest.id));
    return guest;
  }
}
