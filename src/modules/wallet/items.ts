import { conflict, notFound } from '../../core/http/problem.js';
import { iso, localized, parseDescriptions, parseNames, type CatalogMeta } from './catalog.js';
import type { ItemDef } from './catalog-config.js';
import type { CatalogDb, ItemRow } from './catalog-schema.js';

/** A digital item sold for credits, as admins see it. */
export interface DigitalItem extends CatalogMeta {
  /** Price in credits. */
  price: number;
  /** Units for sale in total; null: unlimited. */
  stock: number | null;
  /** Units sold and not refunded. */
  sold: number;
  /** stock - sold; null when unlimited. */
  remaining: number | null;
  perUserLimit: number | null;
}

/** What GET /v1/wallet/items shows. */
export interface ItemView {
  key: string;
  name: string;
  description: string | null;
  price: number;
  remaining: number | null;
  perUserLimit: number | null;
}

export function toItem(r: ItemRow): DigitalItem {
  const stock = r.stock === null ? null : Number(r.stock);
  const sold = Number(r.sold);
  const enabled = Number(r.active) === 1;
  return {
    key: r.key,
    names: parseNames(r.names),
    descriptions: parseDescriptions(r.descriptions),
    price: Number(r.price),
    stock,
    sold,
    remaining: stock === null ? null : Math.max(0, stock - sold),
    perUserLimit: r.per_user_limit === null ? null : Number(r.per_user_limit),
    enabled,
    active: enabled,
    sort: Number(r.sort),
    source: r.source,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export const itemView = (i: DigitalItem, locale: 'es' | 'en'): ItemView => ({
  key: i.key,
  name: localized(i.names, locale)!,
  description: localized(i.descriptions, locale),
  price: i.price,
  remaining: i.remaining,
  perUserLimit: i.perUserLimit,
});

/** The definition columns (everything but the sold counter and bookkeeping). */
function definitionOf(def: ItemDef) {
  return {
    price: def.price,
    stock: def.stock ?? null,
    per_user_limit: def.perUserLimit ?? null,
    names: JSON.stringify(def.names),
    descriptions: def.descriptions ? JSON.stringify(def.descriptions) : null,
    active: def.active === false ? 0 : 1,
    sort: def.sort ?? 0,
  };
}

const sameDefinition = (r: ItemRow, d: ReturnType<typeof definitionOf>): boolean =>
  Number(r.price) === d.price &&
  (r.stock === null ? null : Number(r.stock)) === d.stock &&
  (r.per_user_limit === null ? null : Number(r.per_user_limit)) === d.per_user_limit &&
  r.names === d.names &&
  r.descriptions === d.descriptions &&
  Number(r.active) === d.active &&
  Number(r.sort) === d.sort;

/** Digital items: stored in `wallet_items`, seeded from `modules.wallet.items`. */
export class Items {
  constructor(private readonly db: () => CatalogDb) {}

  /**
   * Inserts yaml items not in the database yet and refreshes rows still from yaml (never the
   * sold counter). A yaml stock lowered below what was sold is not applied: logged by the caller.
   */
  async seed(defs: Record<string, ItemDef>): Promise<string[]> {
    const now = new Date().toISOString();
    const skipped: string[] = [];
    const existing = new Map((await this.db().selectFrom('wallet_items').selectAll().execute()).map((r) => [r.key, r]));
    for (const [key, def] of Object.entries(defs)) {
      const row = existing.get(key);
      const set = definitionOf(def);
      if (!row) {
        await this.db()
          .insertInto('wallet_items')
          .values({ key, ...set, sold: 0, source: 'yaml', deleted: 0, created_at: now, updated_at: now })
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
      } else if (row.source === 'yaml' && !sameDefinition(row, set)) {
        let q = this.db().updateTable('wallet_items').set({ ...set, updated_at: now }).where('key', '=', key).where('source', '=', 'yaml');
        if (set.stock !== null) q = q.where('sold', '<=', set.stock);
        const res = await q.executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) skipped.push(key);
      }
    }
    // A key taken out of yaml is withdrawn too (owners keep what they bought), unless an admin made it theirs.
    for (const [key, row] of existing) {
      if (row.source === 'yaml' && Number(row.deleted) === 0 && !Object.hasOwn(defs, key)) {
        await this.db().updateTable('wallet_items').set({ deleted: 1, updated_at: now }).where('key', '=', key).where('source', '=', 'yaml').execute();
      }
    }
    return skipped;
  }

  async get(key: string): Promise<DigitalItem | undefined> {
    const row = await this.db().selectFrom('wallet_items').selectAll().where('key', '=', key).where('deleted', '=', 0).executeTakeFirst();
    return row ? toItem(row) : undefined;
  }

  async list(opts: { activeOnly?: boolean } = {}): Promise<DigitalItem[]> {
    let q = this.db().selectFrom('wallet_items').selectAll().where('deleted', '=', 0);
    if (opts.activeOnly) q = q.where('active', '=', 1);
    const rows = await q.orderBy('sort').orderBy('key').execute();
    return rows.map(toItem);
  }

  /**
   * Creates or replaces an item (admin source); the sold counter stays. A stock below what was
   * already sold is refused atomically (409 item_stock_below_sold), as selling it would rewrite history.
   */
  async put(key: string, def: ItemDef): Promise<{ item: DigitalItem; created: boolean }> {
    const now = new Date().toISOString();
    const set = definitionOf(def);
    const before = await this.db().selectFrom('wallet_items').select(['deleted']).where('key', '=', key).executeTakeFirst();
    if (!before) {
      const res = await this.db()
        .insertInto('wallet_items')
        .values({ key, ...set, sold: 0, source: 'admin', deleted: 0, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 1) return { item: (await this.get(key))!, created: true };
    }
    let q = this.db().updateTable('wallet_items').set({ ...set, source: 'admin', deleted: 0, updated_at: now }).where('key', '=', key);
    if (set.stock !== null) q = q.where('sold', '<=', set.stock);
    const res = await q.executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) {
      throw conflict('item_stock_below_sold', {
        errors: [{ pointer: '/body/stock', code: 'minimum', detail: 'Lower than the units already sold' }],
      });
    }
    return { item: (await this.get(key))!, created: !before || Number(before.deleted) === 1 };
  }

  /** Tombstones an item: no longer sold or listed; what owners hold stays in their inventory. */
  async remove(key: string): Promise<void> {
    const res = await this.db()
      .updateTable('wallet_items')
      .set({ deleted: 1, source: 'admin', updated_at: new Date().toISOString() })
      .where('key', '=', key)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw notFound('item_not_found');
  }
}

