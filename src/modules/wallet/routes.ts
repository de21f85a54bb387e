import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App, ModuleContext } from '../../core/module.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { DateTimeQuery, parseDateTime } from '../../core/http/datetime.js';
import { badRequest, notFound } from '../../core/http/problem.js';
import type { WalletConfig } from './config.js';
import { BalanceSchema, CaptureBody, HoldBody, HoldCaptured, HoldCreated, HoldParams, HoldSchema, Problem, SpendAnswer, SpendBody, strictBody, TransactionSchema } from './ledger-api.js';
import { ownerOfActor } from './owner.js';
import { spendAnswer, type WalletService } from './service.js';

const WalletQuery = {
  /** `tenant`: the active organization's wallet instead of the caller's own. */
  wallet: Type.Optional(Type.Union([Type.Literal('own'), Type.Literal('tenant')])),
};

/** Mounted under /v1/wallet: the caller's own wallet (users and guests), or their organization's. */
export async function ledgerRoutes(app: App, ctx: ModuleContext<WalletConfig>) {
  const wallet = () => ctx.services.wallet as WalletService;
  const idempotent = { ttlMs: ctx.config.idempotencyTtlHours * 3_600_000 };
  const ownerOf = async (request: FastifyRequest) => {
    const q = request.query as { wallet?: string } | undefined;
    return ownerOfActor((await request.actor())!, q?.wallet === 'tenant');
  };

  app.get(
    '/balance',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'wallet:read' },
      schema: {
        tags: ['wallet'],
        summary: "The caller's credits: balance, available (balance − held), held, debt, grants left and next expiry",
        querystring: Type.Object(WalletQuery, { additionalProperties: false }),
        response: { 200: BalanceSchema, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => wallet().balance(await ownerOf(request)),
  );

  app.get(
    '/transactions',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'wallet:read' },
      schema: {
        tags: ['wallet'],
        summary: "The caller's wallet movements, newest first",
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            ...WalletQuery,
            kind: Type.Optional(Type.String({ pattern: '^[a-z_]{1,20}$' })),
            from: Type.Optional(DateTimeQuery()),
            to: Type.Optional(DateTimeQuery()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(TransactionSchema), 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => {
      const { limit, cursor, kind, from, to } = request.query;
      const fromDate = from === undefined ? undefined : parseDateTime(from);
      const toDate = to === undefined ? undefined : parseDateTime(to);
      if (fromDate === null || toDate === null) throw badRequest('invalid_wallet_input', { errors: [{ pointer: '/query/from', code: 'format', detail: 'An ISO 8601 date' }] });
      return wallet().transactions(await ownerOf(request), { limit, cursor, kind, from: fromDate?.toISOString(), to: toDate?.toISOString() });
    },
  );

  app.post(
    '/spend',
    {
      preValidation: strictBody({ amount: 'integer', reason: 'string' }),
      preHandler: ctx.access.requireActor,
      config: { scope: 'wallet:spend', idempotent },
      schema: {
        tags: ['wallet'],
        summary: 'Spend credits',
        description:
          'Succeeds only if the available credits cover `amount` (409 insufficient_credits otherwise, nothing spent). ' +
          'Send an Idempotency-Key: a retry with the same key gets the first answer and spends nothing more.',
        querystring: Type.Object(WalletQuery, { additionalProperties: false }),
        body: SpendBody,
        response: { 201: SpendAnswer, 400: Problem, 401: Problem, 403: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const result = await wallet().spend(await ownerOf(request), request.body, { idempotency: request.idempotency });
      return reply.code(201).send(spendAnswer(result));
    },
  );

  app.post(
    '/holds',
    {
      preValidation: strictBody({ amount: 'integer', ttlSeconds: 'integer', reason: 'string' }),
      preHandler: ctx.access.requireActor,
      config: { scope: 'wallet:spend', idempotent },
      schema: {
        tags: ['wallet'],
        summary: 'Reserve credits until captured, released or expired',
        description: `ttlSeconds at most ${ctx.config.maxHoldSeconds}. 409 insufficient_credits when the available credits do not cover it.`,
        querystring: Type.Object(WalletQuery, { additionalProperties: false }),
        body: HoldBody,
        response: { 201: HoldCreated, 400: Problem, 401: Problem, 403: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const { amount, ttlSeconds, reason } = request.body;
      const hold = await wallet().hold(await ownerOf(request), { amount, ttlMs: ttlSeconds * 1000, reason }, { idempotency: request.idempotency });
      return reply.code(201).send(hold);
    },
  );

  app.get(
    '/holds/:id',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'wallet:read' },
      schema: {
        tags: ['wallet'],
        summary: 'One of your holds',
        params: HoldParams,
        querystring: Type.Object(WalletQuery, { additionalProperties: false }),
        response: { 200: HoldSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      const hold = await wallet().getHold(request.params.id, await ownerOf(request));
      if (!hold) throw notFound('wallet_hold_not_found');
      return hold;
    },
  );

  app.post(
    '/holds/:id/capture',
    {
      preValidation: strictBody({ amount: 'integer' }),
      preHandler: ctx.access.requireActor,
      config: { scope: 'wallet:spend', idempotent },
      schema: {
        tags: ['wallet'],
        summary: 'Capture a hold (all of it, or `amount` of it): those credits are spent, the rest released',
        description: '409 wallet_hold_resolved once the hold was captured, released or expired; 422 wallet_hold_expired when its time ran out.',
        params: HoldParams,
        querystring: Type.Object(WalletQuery, { additionalProperties: false }),
        body: Type.Optional(CaptureBody),
        response: { 200: HoldCaptured, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request) => {
      const { hold, balance } = await wallet().capture(request.params.id, request.body?.amount, { owner: await ownerOf(request), idempotency: request.idempotency });
      return { ...hold, balance };
    },
  );

  app.post(
    '/holds/:id/release',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'wallet:spend', idempotent },
      schema: {
        tags: ['wallet'],
        summary: 'Release a hold: its credits are available again',
        description: '409 wallet_hold_resolved once the hold was captured, released or expired.',
        params: HoldParams,
        querystring: Type.Object(WalletQuery, { additionalProperties: false }),
        response: { 200: HoldSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => wallet().release(request.params.id, { owner: await ownerOf(request), idempotency: request.idempotency }),
  );
}
