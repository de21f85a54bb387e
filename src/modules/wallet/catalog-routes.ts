import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { CatalogKey } from './catalog-config.js';
import { InventoryEntrySchema, ItemViewSchema, PackageViewSchema, Problem, PurchaseResultSchema } from './catalog-api.js';
import { itemView } from './items.js';
import { ownerOfActor } from './owner.js';
import { packageView } from './packages.js';
import type { WalletShop } from './catalog-service.js';

/** The shop's routes under /v1/wallet: the catalog (anyone), purchases and inventory (users and guests). */
export async function catalogRoutes(app: App, ctx: ModuleContext<unknown>, shop: () => WalletShop) {
  const tags = ['wallet'];

  app.get(
    '/packages',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        summary: 'Credit packages on sale now, in display order, names and prices in the caller\'s language',
        description: 'Buy one through the payments module (its checkout takes the package key).',
        response: { 200: Type.Object({ data: Type.Array(PackageViewSchema) }) },
      },
    },
    async (request) => ({ data: (await shop().listPackages({ activeOnly: true })).map((p) => packageView(p, request.locale)) }),
  );

  app.get(
    '/items',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        summary: 'Digital items on sale for credits, with units left (null: unlimited)',
        response: { 200: Type.Object({ data: Type.Array(ItemViewSchema) }) },
      },
    },
    async (request) => ({ data: (await shop().items.list({ activeOnly: true })).map((i) => itemView(i, request.locale)) }),
  );

  app.post(
    '/purchase',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'wallet:purchase', idempotent: true },
      schema: {
        tags,
        summary: 'Buy a digital item with credits',
        description:
          'Spends the item\'s price and adds it to the inventory in one transaction. Unknown or withdrawn item: 404 ' +
          'item_not_found; no units left: 409 item_sold_out; per-user limit reached: 409 item_limit_reached; balance ' +
          'too low: 409 insufficient_credits. Send an Idempotency-Key: a retry gets the first answer, never a second purchase.',
        body: Type.Object({ itemKey: CatalogKey }, { additionalProperties: false }),
        response: { 201: PurchaseResultSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const actor = (await request.actor())!;
      const result = await shop().purchase(ownerOfActor(actor), request.body.itemKey, request.idempotency);
      return reply.code(201).send(result);
    },
  );

  app.get(
    '/inventory',
    {
      preHandler: ctx.access.requireActor,
      config: { scope: 'wallet:read' },
      schema: {
        tags,
        summary: 'What the caller bought, newest first (status owned by default)',
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            status: Type.Optional(Type.Union([Type.Literal('owned'), Type.Literal('refunded'), Type.Literal('all')])),
            itemKey: Type.Optional(CatalogKey),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(InventoryEntrySchema), 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => {
      const actor = (await request.actor())!;
      return shop().inventory.list(ownerOfActor(actor), request.query, request.locale);
    },
  );
}
