import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { DateTimeQuery, parseDateTime } from '../../core/http/datetime.js';
import { badRequest } from '../../core/http/problem.js';
import type { WalletConfig } from './config.js';
import { Problem, strictBody, TransactionSchema } from './ledger-api.js';
import { MAX_CREDITS } from './ledger-validate.js';
import { ownerFromRow } from './owner.js';
import type { WalletService } from './service.js';

const Id = Type.String({ minLength: 1, maxLength: 255 });
const OwnerBody = Type.Union([
  Type.Object({ userId: Id }, { additionalProperties: false }),
  Type.Object({ guestId: Id }, { additionalProperties: false }),
  Type.Object({ tenantId: Id }, { additionalProperties: false }),
]);
const OwnerType = Type.Union([Type.Literal('user'), Type.Literal('guest'), Type.Literal('tenant')]);
const NullableDate = Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });

const AdjustBody = Type.Object(
  {
    owner: OwnerBody,
    amount: Type.Integer({ minimum: -MAX_CREDITS, maximum: MAX_CREDITS, not: { const: 0 }, description: 'Positive: credits in; negative: credits out' }),
    reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'Why: kept with the ledger transfer' }),
    kind: Type.Optional(Type.Union([Type.Literal('paid'), Type.Literal('promotional')], { description: 'Credits in only: the grant kind (default promotional)' })),
  },
  { additionalProperties: false },
);
const AdjustAnswer = Type.Object({ transferId: Type.String(), amount: Type.Integer(), balance: Type.Integer() });

const WalletSchema = Type.Object({
  accountId: Type.String(),
  ownerType: OwnerType,
  ownerId: Type.String(),
  balance: Type.Integer(),
  held: Type.Integer(),
  debt: Type.Integer(),
  nextExpiry: NullableDate,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const AdminTransferSchema = Type.Object({ ...TransactionSchema.properties, accountId: Type.String(), actorId: Type.Unsafe<string | null>({ type: ['string', 'null'] }) });

/** Ledger administration under /v1/admin/wallet (the kernel requires the admin role): adjustments and browsing. */
export async function ledgerAdminRoutes(app: App, ctx: ModuleContext<WalletConfig>) {
  const tags = ['wallet', 'admin'];
  const wallet = () => ctx.services.wallet as WalletService;

  app.post(
    '/adjustments',
    {
      preValidation: strictBody({ amount: 'integer', reason: 'string', kind: 'string' }),
      config: { idempotent: { ttlMs: ctx.config.idempotencyTtlHours * 3_600_000 } },
      schema: {
        tags,
        summary: "Correct a wallet's credits by hand (both ways, through the adjustments account)",
        description:
          'Positive `amount` credits the wallet (a grant of `kind`, default promotional); negative debits it, refused with 409 ' +
          'insufficient_credits (nothing written) rather than below zero. The admin is recorded on the transfer. Send an Idempotency-Key: a retry adjusts once.',
        body: AdjustBody,
        response: { 201: AdjustAnswer, 400: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const admin = (await request.actor())!;
      const { owner, amount, reason, kind } = request.body;
      const result = await wallet().adjust(owner, { amount, reason, kind, adminId: admin.id }, { idempotency: request.idempotency });
      return reply.code(201).send(result);
    },
  );

  app.get(
    '/wallets',
    {
      schema: {
        tags,
        summary: 'Every wallet with its balance, newest first',
        querystring: Type.Object({ ...PageQuery.properties, ownerType: Type.Optional(OwnerType) }, { additionalProperties: false }),
        response: { 200: Page(WalletSchema), 400: Problem },
      },
    },
    async (request) => wallet().wallets(request.query),
  );

  app.get(
    '/transfers',
    {
      schema: {
        tags,
        summary: "Every wallet's ledger transfers, newest first; filter by wallet (ownerType + ownerId), kind and time",
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            ownerType: Type.Optional(OwnerType),
            ownerId: Type.Optional(Id),
            kind: Type.Optional(Type.String({ pattern: '^[a-z_]{1,20}$' })),
            from: Type.Optional(DateTimeQuery()),
            to: Type.Optional(DateTimeQuery()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(AdminTransferSchema), 400: Problem },
      },
    },
    async (request) => {
      const { limit, cursor, ownerType, ownerId, kind, from, to } = request.query;
      if ((ownerType === undefined) !== (ownerId === undefined)) {
        throw badRequest('invalid_wallet_input', { errors: [{ pointer: '/query/ownerId', code: 'required', detail: 'ownerType and ownerId go together' }] });
      }
      const fromDate = from === undefined ? undefined : parseDateTime(from);
      const toDate = to === undefined ? undefined : parseDateTime(to);
      if (fromDate === null || toDate === null) throw badRequest('invalid_wallet_input', { errors: [{ pointer: '/query/from', code: 'format', detail: 'An ISO 8601 date' }] });
      const owner = ownerType && ownerId ? ownerFromRow(ownerType, ownerId) : undefined;
      return wallet().transfers({ limit, cursor, owner, kind, from: fromDate?.toISOString(), to: toDate?.toISOString() });
    },
  );
}
