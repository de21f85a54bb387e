import type { ModuleContext } from '../../core/module.js';
import { typedDb } from '../../core/db/dialect.js';
import type { IdempotencyClaim } from '../../core/http/idempotency.js';
import type { CatalogConfig } from './catalog-config.js';
import type { CatalogDb, CatalogTables } from './catalog-schema.js';
import { Inventory } from './inventory.js';
import { Items } from './items.js';
import { Packages, type CreditPackage } from './packages.js';
import { Purchaser, type PurchaseResult } from './purchase.js';
import { Refunds } from './purchase-refund.js';
import type { WalletOwner } from './owner.js';
import { Bridges } from './bridges.js';
import { WalletLifecycle } from './bridges-lifecycle.js';

/**
 * The shop side of the wallet: packages, items, purchases and inventory. Every credit movement
 * goes through the ledger (ctx.services.wallet's grant / spend / reverse), never around it.
 */
export class WalletShop {
  readonly packages: Packages;
  readonly items: Items;
  readonly inventory: Inventory;
  readonly refunds: Refunds;
  private readonly purchaser: Purchaser;

  constructor(private readonly ctx: ModuleContext<CatalogConfig>) {
    const db = (): CatalogDb => typedDb<CatalogTables>(ctx);
    this.packages = new Packages(db);
    this.items = new Items(db);
    this.inventory = new Inventory(db);
    this.purchaser = new Purchaser(ctx);
    this.refunds = new Refunds(ctx);
  }

  /** Start-up: yaml packages and items into the database (see catalog-config.ts for the precedence). */
  async seed(): Promise<void> {
    await this.packages.seed(this.ctx.config.packages);
    const skipped = await this.items.seed(this.ctx.config.items);
    for (const key of skipped) {
      this.ctx.log.warn({ item: key }, 'yaml stock of this item is below the units already sold; keeping the stored definition');
    }
  }

  getPackage(key: string): Promise<CreditPackage | undefined> {
    return this.packages.get(key);
  }

  listPackages(opts?: { activeOnly?: boolean }): Promise<CreditPackage[]> {
    return this.packages.list(opts);
  }

  purchase(owner: WalletOwner, itemKey: string, idempotency?: IdempotencyClaim): Promise<PurchaseResult> {
    return this.purchaser.purchase(owner, itemKey, idempotency);
  }
}

/** What the shop adds to `ctx.services.wallet` (getPackage / listPackages: the payments contract). */
export interface WalletShopApi {
  shop: WalletShop;
  bridges: Bridges;
  lifecycle: WalletLifecycle;
  getPackage(key: string): Promise<CreditPackage | undefined>;
  listPackages(opts?: { activeOnly?: boolean }): Promise<CreditPackage[]>;
}

/** The ledger service with the shop's methods on it: one `ctx.services.wallet` for other modules. */
export function withShop<T extends object>(ledger: T, ctx: ModuleContext<CatalogConfig>): T & WalletShopApi {
  const shop = new WalletShop(ctx);
  const api: WalletShopApi = {
    shop,
    bridges: new Bridges(ctx),
    lifecycle: new WalletLifecycle(ctx, () => shop),
    getPackage: (key) => shop.getPackage(key),
    listPackages: (opts) => shop.listPackages(opts),
  };
  return Object.assign(ledger, api);
}
