import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { conflict } from '../../core/http/problem.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { DateTimeQuery } from '../../core/http/datetime.js';
import { DISPLAY_NAME_MAX } from './names.js';
import { listGuests } from './list.js';
import type { GuestsConfig } from './config.js';
import type { GuestService } from './service.js';

const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);

const GuestIdentity = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  /** True when this request created the guest (and set its cookie). */
  created: Type.Boolean(),
});

export const AdminGuest = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  lastIp: Type.Union([Type.String(), Type.Null()]),
  endpointsUsed: Type.Integer(),
  lastActiveAt: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
  mergedIntoUserId: Type.Union([Type.String(), Type.Null()]),
  mergedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/** Mounted with prefix `/v1` so the route is POST /v1/public/guest (publicRoutes would give /v1/public/guests). */
export async function guestRoutes(app: App, ctx: ModuleContext<GuestsConfig>) {
  const guests = () => ctx.services.guests as GuestService;

  app.post(
    '/public/guest',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['guests'],
        summary: 'Create a guest identity, or return the current one',
        description:
          'Sets a signed HttpOnly cookie. With a current guest and a displayName, renames it. Signed-in users get 409.',
        // Fastify validates a missing body as null: no body is a valid request.
        body: Type.Union([
          Type.Object({ displayName: Type.Optional(Type.String({ maxLength: DISPLAY_NAME_MAX * 4 })) }, { additionalProperties: false }),
          Type.Null(),
        ]),
        response: { 200: GuestIdentity, 201: GuestIdentity, 400: Problem, 409: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      const actor = await request.actor();
      if (actor && actor.type !== 'guest') throw conflict('already_signed_in');
      const displayName = request.body?.displayName;
      const current = await guests().http.fromRequest(request);
      if (current) {
        const guest = displayName === undefined ? current : ((await guests().rename(current.id, displayName)) ?? current);
        return reply.code(200).send({ id: guest.id, displayName: guest.displayName, createdAt: guest.createdAt, created: false });
      }
      await guests().assertCanCreate(request.ip);
      const guest = await guests().create({ displayName, ip: request.ip ?? null, locale: request.locale });
      guests().cookie.set(reply, guest.id);
      return reply.code(201).send({ id: guest.id, displayName: guest.displayName, createdAt: guest.createdAt, created: true });
    },
  );
}

/** GET /v1/admin/guests — the kernel guards adminRoutes with the admin role. */
export async function guestAdminRoutes(app: App, ctx: ModuleContext<GuestsConfig>) {
  app.get(
    '',
    {
      schema: {
        tags: ['guests', 'admin'],
        summary: 'List guests, most recently active first',
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            activeBefore: Type.Optional(DateTimeQuery({ description: 'ISO 8601; last activity strictly before' })),
            activeAfter: Type.Optional(DateTimeQuery({ description: 'ISO 8601; last activity at or after' })),
            merged: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Page(AdminGuest),
          400: Problem,
        },
      },
    },
    async (request) => listGuests(ctx.db, ctx.dialect, request.query),
  );
}
