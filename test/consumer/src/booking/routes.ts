import { Type } from 'typebox';
import { Page, PageQuery, type App, type ModuleContext } from 'neptuno';
import type { BookingConfig } from './service.js';

const Booking = Type.Object({
  id: Type.String(),
  slot: Type.String({ format: 'date-time' }),
  note: Type.String(),
  status: Type.String(),
  createdAt: Type.String(),
});

/** Thin handlers: schemas in, a service call, the answer out. */
export async function bookingRoutes(app: App, ctx: ModuleContext<BookingConfig>) {
  const bookings = () => ctx.services.booking;

  app.get(
    '/availability',
    { onRequest: ctx.access.requireActor, schema: { tags: ['booking'], response: { 200: Type.Object({ open: Type.Boolean() }) } } },
    async () => ({ open: true }),
  );

  app.post(
    '/bookings',
    {
      onRequest: ctx.access.requirePerson,
      schema: {
        tags: ['booking'],
        body: Type.Object(
          { slot: Type.String({ format: 'date-time' }), note: Type.Optional(Type.String({ maxLength: 200 })) },
          { additionalProperties: false },
        ),
        response: { 201: Booking },
      },
    },
    async (req, reply) => {
      const actor = (await req.actor())!;
      return reply.code(201).send(await bookings().book(actor.id, req.body));
    },
  );

  app.get(
    '/bookings',
    { onRequest: ctx.access.requirePerson, schema: { tags: ['booking'], querystring: PageQuery, response: { 200: Page(Booking) } } },
    async (req) => bookings().list((await req.actor())!.id, req.query),
  );

  app.get(
    '/bookings/:id',
    {
      onRequest: ctx.access.requirePerson,
      schema: { tags: ['booking'], params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: Booking } },
    },
    async (req) => bookings().get((await req.actor())!.id, req.params.id),
  );
}

export async function bookingAdminRoutes(app: App, ctx: ModuleContext<BookingConfig>) {
  app.get('/bookings', { schema: { tags: ['booking'], querystring: PageQuery, response: { 200: Page(Booking) } } }, async (req) =>
    ctx.services.booking.all(req.query),
  );
}
