import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { CatalogKey, ItemDef, PackageDef } from './catalog-config.js';
import { ItemSchema, PackageSchema, Problem, PurchaseSchema } from './catalog-api.js';
import type { WalletShop } from './catalog-service.js';

const KeyParams = Type.Object({ key: CatalogKey });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 40 }) });
const Reason = Type.String({ minLength: 3, maxLength: 500, description: 'Why: kept with the ledger entry' });

/** Catalog and purchase administration under /v1/admin/wallet (the kernel requires the admin role). */
export async function catalogAdminRoutes(app: App, ctx: ModuleContext<unknown>, shop: () => WalletShop) {
  const tags = ['wallet', 'admin'];

  app.get(
    '/packages',
    { schema: { tags, summary: 'Every credit package (inactive ones too), in display order', response: { 200: Type.Object({ data: Type.Array(PackageSchema) }) } } },
    async () => ({ data: await shop().listPackages() }),
  );

  app.put(
    '/packages/:key',
    {
      schema: {
        tags,
        summary: 'Create or replace a credit package (from now on yaml no longer changes this key)',
        params: KeyParams,
        body: PackageDef,
        response: { 200: PackageSchema, 201: PackageSchema, 400: Problem },
      },
    },
    async (request, reply) => {
      const { pkg, created } = await shop().packages.put(request.params.key, request.body);
      return reply.code(created ? 201 : 200).send(pkg);
    },
  );

  app.delete(
    '/packages/:key',
    { schema: { tags, summary: 'Withdraw a credit package for good (yaml does not bring it back)', params: KeyParams, response: { 204: Type.Null(), 404: Problem } } },
    async (request, reply) => {
      await shop().packages.remove(request.params.key);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/items',
    { schema: { tags, summary: 'Every digital item (inactive ones too), with stock and units sold', response: { 200: Type.Object({ data: Type.Array(ItemSchema) }) } } },
    async () => ({ data: await shop().items.list() }),
  );

  app.put(
    '/items/:key',
    {
      schema: {
        tags,
        summary: 'Create or replace a digital item; units sold stay (a stock below them: 409 item_stock_below_sold)',
        params: KeyParams,
        body: ItemDef,
        response: { 200: ItemSchema, 201: ItemSchema, 400: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const { item, created } = await shop().items.put(request.params.key, request.body);
      return reply.code(created ? 201 : 200).send(item);
    },
  );

  app.delete(
    '/items/:key',
    { schema: { tags, summary: 'Withdraw a digital item (owners keep what they bought)', params: KeyParams, response: { 204: Type.Null(), 404: Problem } } },
    async (request, reply) => {
      await shop().items.remove(request.params.key);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/purchases',
    {
      schema: {
        tags,
        summary: 'Item purchases, newest first',
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            ownerType: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('guest'), Type.Literal('tenant')])),
            ownerId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            itemKey: Type.Optional(CatalogKey),
            status: Type.Optional(Type.Union([Type.Literal('owned'), Type.Literal('refunded')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(PurchaseSchema), 400: Problem },
      },
    },
    async (request) => shop().inventory.browse(request.query),
  );

  app.post(
    '/purchases/:id/refund',
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Refund an item purchase: its credits go back to the owner, the unit back to stock',
        description: 'Once per purchase: a second refund answers 409 purchase_already_refunded.',
        params: IdParams,
        body: Type.Object({ reason: Reason }, { additionalProperties: false }),
        response: { 200: Type.Object({ purchase: PurchaseSchema, balance: Type.Integer() }), 400: Problem, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request) => {
      const admin = (await request.actor())!;
      return shop().refunds.refundPurchase(request.params.id, { reason: request.body.reason, adminId: admin.id });
    },
  );
  void ctx;
}
