import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { badRequest, forbidden, unauthorized } from '../../core/http/problem.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { playerOf, type Player } from './actors.js';
import type { GamificationConfig } from './config.js';
import type { EventInput } from './engine.js';
import type { Period } from './leaderboard.js';
import { MAX_BATCH, type GamificationService } from './service.js';
import { awardView } from './views.js';

const Open = { additionalProperties: true } as const;
const Nullable = <T extends ReturnType<typeof Type.Object>>(t: T) => Type.Union([t, Type.Null()]);

const EventItem = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64 }),
    /** Client id: the same id from the same player awards once. */
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const EventsBody = Type.Object(
  {
    type: Type.Optional(EventItem.properties.type),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    events: Type.Optional(Type.Array(EventItem, { minItems: 1, maxItems: MAX_BATCH })),
  },
  { additionalProperties: false },
);

const LevelOut = Type.Object({ key: Type.String(), name: Type.String(), threshold: Type.Integer() });
const BadgeOut = Type.Object({ key: Type.String(), name: Type.String(), description: Type.Union([Type.String(), Type.Null()]), imageUrl: Type.Union([Type.String(), Type.Null()]) }, Open);
const StepOut = Type.Object({ event: Type.String(), count: Type.Integer(), target: Type.Integer() });
const StreakOut = Type.Object({ current: Type.Integer(), longest: Type.Integer(), freezesLeft: Type.Integer() }, Open);

const AwardOut = Type.Object({
  results: Type.Array(
    Type.Object({ type: Type.String(), id: Type.Union([Type.String(), Type.Null()]), status: Type.String(), points: Type.Integer() }),
  ),
  points: Type.Object({ awarded: Type.Integer(), total: Type.Integer() }),
  level: Nullable(LevelOut),
  levelUps: Type.Array(LevelOut),
  badges: Type.Array(BadgeOut),
  challenges: Type.Array(Type.Object({ key: Type.String(), steps: Type.Array(StepOut), completed: Type.Boolean(), justCompleted: Type.Boolean() })),
  streak: Nullable(StreakOut),
});

const ChallengeOut = Type.Object(
  {
    key: Type.String(),
    name: Type.String(),
    steps: Type.Array(StepOut),
    completed: Type.Boolean(),
  },
  Open,
);

const MeOut = Type.Object({
  actor: Type.Object({ type: Type.String(), id: Type.String() }),
  points: Type.Object({ total: Type.Integer(), weekly: Type.Integer(), monthly: Type.Integer(), name: Type.String() }),
  level: Nullable(LevelOut),
  next: Nullable(Type.Object({ ...LevelOut.properties, pointsNeeded: Type.Integer(), progress: Type.Number() })),
  badges: Type.Array(Type.Object({ ...BadgeOut.properties, earnedAt: Type.String() })),
  streak: Type.Object({ ...StreakOut.properties, lastDay: Type.Union([Type.String(), Type.Null()]), active: Type.Boolean() }),
  challenges: Type.Array(ChallengeOut),
});

/** The public board: names or pseudonyms, never internal ids (the serializer drops anything else). */
const BoardOut = Type.Object({
  period: Type.String(),
  periodKey: Type.String(),
  data: Type.Array(
    Type.Object({
      rank: Type.Integer(),
      actorType: Type.Union([Type.Literal('user'), Type.Literal('guest')]),
      displayName: Type.String(),
      points: Type.Integer(),
      isMe: Type.Boolean({ description: "The caller's own entry" }),
    }),
  ),
  me: Type.Union([Type.Object({ rank: Type.Integer(), points: Type.Integer() }), Type.Null()]),
});

const tags = ['gamification'];

/** Routes under /v1/gamification: guests and users play alike. */
export async function gamificationRoutes(app: App, ctx: ModuleContext<GamificationConfig>) {
  const svc = () => ctx.services.gamification as GamificationService;

  /** The caller as a player; anonymous callers become guests when allowed and the guests module runs. */
  async function playerFor(request: FastifyRequest, reply: FastifyReply, create: boolean): Promise<Player> {
    let actor = await request.actor();
    const guests = (ctx.services as { guests?: { http: { ensureGuest(rq: FastifyRequest, rp: FastifyReply): Promise<{ id: string }> } } }).guests;
    if (!actor && create && ctx.config.autoGuest && guests) {
      await guests.http.ensureGuest(request, reply);
      actor = await request.actor();
    }
    if (!actor) throw unauthorized('authentication_required');
    const player = playerOf(actor);
    if (!player) throw forbidden('not_a_player');
    return player;
  }
  const optionalPlayer = async (request: FastifyRequest) => playerOf(await request.actor());

  app.post(
    '/events',
    {
      // A retried request (flaky mobile network) with the same Idempotency-Key awards once.
      config: { idempotent: true, scope: 'gamification:events:write' },
      schema: {
        tags,
        summary: 'Record one event {type, id?} or a batch {events: [...]} (up to 100); answers what was awarded',
        body: EventsBody,
        response: { 200: AwardOut },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const single = body.type !== undefined;
      if (single === (body.events !== undefined) || (!single && body.id !== undefined)) throw badRequest('events_required');
      const events: EventInput[] = single ? [{ type: body.type!, id: body.id }] : body.events!;
      const player = await playerFor(request, reply, true);
      const outcome = await svc().awardMany(player, events, { fromClient: true, pointer: single ? '/body' : '/body/events' });
      return awardView(svc().defs, outcome, request.locale);
    },
  );

  app.get('/event-types', { config: { scope: 'public' }, schema: { tags, summary: 'Event types a client may send, with points and caps' } }, async (request) => ({
    data: svc().eventTypes(request.locale),
  }));

  app.get('/me', { config: { scope: 'gamification:read' }, schema: { tags, summary: 'Points, level and progress, badges, streak, open challenges', response: { 200: MeOut } } }, async (request, reply) => {
    const player = await playerFor(request, reply, false);
    // A JSON string is sent as is: the cached answer was serialized by this route's serializer.
    const serialize = reply.getSerializationFunction('200') as (value: unknown) => string;
    const body = await svc().meBody(player, request.locale, serialize);
    // Typed replies accept the schema's object; a pre-serialized body goes through the untyped reply.
    return (reply as unknown as FastifyReply).type('application/json; charset=utf-8').send(body);
  });

  app.get(
    '/scores',
    {
      config: { scope: 'gamification:read' },
      schema: {
        tags,
        summary: 'Points history, newest first',
        querystring: PageQuery,
        response: {
          200: Page(
            Type.Object({
              id: Type.String(),
              type: Type.String(),
              source: Type.String(),
              points: Type.Integer(),
              clientId: Type.Union([Type.String(), Type.Null()]),
              createdAt: Type.String(),
            }),
          ),
        },
      },
    },
    async (request, reply) => svc().history(await playerFor(request, reply, false), request.query),
  );

  app.get('/badges', { config: { scope: 'gamification:read' }, schema: { tags, summary: 'Badge catalog, with earned marks and progress for the caller' } }, async (request) => ({
    data: await svc().badges(await optionalPlayer(request), request.locale),
  }));

  app.get('/challenges', { config: { scope: 'gamification:read' }, schema: { tags, summary: 'Challenges, with the caller’s progress' } }, async (request) => ({
    data: await svc().challenges(await optionalPlayer(request), request.locale),
  }));

  app.get(
    '/leaderboard',
    {
      config: { scope: 'gamification:read' },
      schema: {
        tags,
        summary: 'Top N of a period, plus the caller’s own rank',
        querystring: Type.Object(
          {
            period: Type.Union([Type.Literal('all'), Type.Literal('weekly'), Type.Literal('monthly')], { default: 'all' }),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: BoardOut },
      },
    },
    async (request) => {
      const period = request.query.period as Period;
      if (!ctx.config.leaderboards.periods.includes(period)) throw badRequest('period_disabled', { params: { period } });
      const limit = request.query.limit ?? ctx.config.leaderboards.defaultLimit;
      return svc().leaderboard(period, limit, await optionalPlayer(request), request.locale);
    },
  );
}
