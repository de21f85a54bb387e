import { paginate, type PageResult } from '../../core/db/paginate.js';
import { localized, parseNames } from './catalog.js';
import type { CatalogDb } from './catalog-schema.js';
import { toPurchase, type Purchase } from './purchase.js';
import { resolveOwner, type WalletOwner } from './owner.js';

/** An inventory entry: the purchase with the item's name in the caller's language. */
export interface InventoryEntry extends Purchase {
  name: string;
}

export interface InventoryQuery {
  limit?: number;
  cursor?: string;
  /** Default `owned`: what the owner holds now. */
  status?: 'owned' | 'refunded' | 'all';
  itemKey?: string;
}

/** What an owner bought: one row per purchase, newest first. */
export class Inventory {
  constructor(private readonly db: () => CatalogDb) {}

  async list(owner: WalletOwner, q: InventoryQuery, locale: 'es' | 'en'): Promise<PageResult<InventoryEntry>> {
    const ref = resolveOwner(owner);
    let query = this.db()
      .selectFrom('wallet_purchases as p')
      .leftJoin('wallet_items as i', 'i.key', 'p.item_key')
      .selectAll('p')
      .select('i.names')
      .where('p.owner_type', '=', ref.type)
      .where('p.owner_id', '=', ref.id);
    const status = q.status ?? 'owned';
    if (status !== 'all') query = query.where('p.status', '=', status);
    if (q.itemKey) query = query.where('p.item_key', '=', q.itemKey);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['p.id'], key: (r) => [r.id] });
    return {
      data: page.data.map((r) => ({ ...toPurchase(r), name: r.names ? localized(parseNames(r.names), locale)! : r.item_key })),
      nextCursor: page.nextCursor,
    };
  }

  /** Units held per item (owned purchases), for the owner's summary and the privacy export. */
  async counts(owner: WalletOwner): Promise<Record<string, number>> {
    const ref = resolveOwner(owner);
    const rows = await this.db()
      .selectFrom('wallet_holdings')
      .select(['item_key', 'count'])
      .where('owner_type', '=', ref.type)
      .where('owner_id', '=', ref.id)
      .where('count', '>', 0)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.item_key, Number(r.count)]));
  }

  browse(q: PurchaseBrowseQuery): Promise<PageResult<Purchase>> {
    return browsePurchases(this.db(), q);
  }

  /** Every purchase of an owner, oldest first (privacy export). */
  async all(owner: WalletOwner): Promise<Purchase[]> {
    const ref = resolveOwner(owner);
    const rows = await this.db()
      .selectFrom('wallet_purchases')
      .selectAll()
      .where('owner_type', '=', ref.type)
      .where('owner_id', '=', ref.id)
      .orderBy('id')
      .execute();
    return rows.map(toPurchase);
  }
}

export interface PurchaseBrowseQuery {
  limit?: number;
  cursor?: string;
  ownerType?: 'user' | 'guest' | 'tenant';
  ownerId?: string;
  itemKey?: string;
  status?: 'owned' | 'refunded';
}

/** Every owner's purchases, newest first, for the admin. */
export async function browsePurchases(db: CatalogDb, q: PurchaseBrowseQuery): Promise<PageResult<Purchase>> {
  let query = db.selectFrom('wallet_purchases').selectAll();
  if (q.ownerType) query = query.where('owner_type', '=', q.ownerType);
  if (q.ownerId) query = query.where('owner_id', '=', q.ownerId);
  if (q.itemKey) query = query.where('item_key', '=', q.itemKey);
  if (q.status) query = query.where('status', '=', q.status);
  const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['id'], key: (r) => [r.id] });
  return { data: page.data.map(toPurchase), nextCursor: page.nextCursor };
}
