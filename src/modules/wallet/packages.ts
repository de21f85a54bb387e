import { notFound, type FieldError } from '../../core/http/problem.js';
import { formatMoney, isCurrency } from '../../core/money.js';
import { checkWindow, inWindow, iso, isoOrNull, localized, parseDescriptions, parseNames, throwIfErrors, type CatalogMeta } from './catalog.js';
import type { PackageDef } from './catalog-config.js';
import type { CatalogDb, PackageRow } from './catalog-schema.js';

/**
 * A credit package as `ctx.services.wallet.getPackage(key)` answers it (the payments module
 * sells it: a checkout for `price`, then `grant(owner, { amount: credits, kind: 'paid', … })`).
 */
export interface CreditPackage extends CatalogMeta {
  credits: number;
  /** Integer minor units of an ISO 4217 currency at its ISO exponent. */
  price: { amount: number; currency: string };
  startsAt: string | null;
  endsAt: string | null;
}

/** What GET /v1/wallet/packages shows: one language, the price formatted for it. */
export interface PackageView {
  key: string;
  credits: number;
  name: string;
  description: string | null;
  price: { amount: number; currency: string; formatted: string };
  startsAt: string | null;
  endsAt: string | null;
}

export function toPackage(r: PackageRow, now = Date.now()): CreditPackage {
  const enabled = Number(r.active) === 1;
  return {
    key: r.key,
    credits: Number(r.credits),
    price: { amount: Number(r.price_amount), currency: r.currency },
    names: parseNames(r.names),
    descriptions: parseDescriptions(r.descriptions),
    enabled,
    active: enabled && inWindow(r.starts_at, r.ends_at, now),
    startsAt: isoOrNull(r.starts_at),
    endsAt: isoOrNull(r.ends_at),
    sort: Number(r.sort),
    source: r.source,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function packageView(p: CreditPackage, locale: 'es' | 'en'): PackageView {
  return {
    key: p.key,
    credits: p.credits,
    name: localized(p.names, locale)!,
    description: localized(p.descriptions, locale),
    price: { ...p.price, formatted: formatMoney(p.price.amount, p.price.currency, locale) },
    startsAt: p.startsAt,
    endsAt: p.endsAt,
  };
}

/** Checks what the schema cannot: a real ISO 4217 code and a real window. */
export function checkPackage(def: PackageDef, pointer = '/body'): void {
  const errors: FieldError[] = [];
  if (!isCurrency(def.price.currency)) errors.push({ pointer: `${pointer}/price/currency`, code: 'currency', detail: 'An ISO 4217 currency code' });
  checkWindow(def.startsAt, def.endsAt, errors);
  throwIfErrors(errors);
}

function rowOf(key: string, def: PackageDef, source: PackageRow['source'], now: string, createdAt = now): PackageRow {
  return {
    key,
    credits: def.credits,
    price_amount: def.price.amount,
    currency: def.price.currency,
    names: JSON.stringify(def.names),
    descriptions: def.descriptions ? JSON.stringify(def.descriptions) : null,
    active: def.active === false ? 0 : 1,
    starts_at: def.startsAt ?? null,
    ends_at: def.endsAt ?? null,
    sort: def.sort ?? 0,
    source,
    deleted: 0,
    created_at: createdAt,
    updated_at: now,
  };
}

const sameDefinition = (a: PackageRow, b: PackageRow): boolean =>
  Number(a.credits) === Number(b.credits) &&
  Number(a.price_amount) === Number(b.price_amount) &&
  a.currency === b.currency &&
  a.names === b.names &&
  a.descriptions === b.descriptions &&
  Number(a.active) === Number(b.active) &&
  isoOrNull(a.starts_at) === isoOrNull(b.starts_at) &&
  isoOrNull(a.ends_at) === isoOrNull(b.ends_at) &&
  Number(a.sort) === Number(b.sort);

/** Credit packages: stored in `wallet_packages`, seeded from `modules.wallet.packages`. */
export class Packages {
  constructor(private readonly db: () => CatalogDb) {}

  /**
   * Inserts yaml packages not in the database yet, refreshes rows that still come from yaml and
   * withdraws yaml rows whose key left the file; rows an admin touched are left alone. Safe on several replicas starting at once.
   */
  async seed(defs: Record<string, PackageDef>): Promise<void> {
    const now = new Date().toISOString();
    const existing = new Map((await this.db().selectFrom('wallet_packages').selectAll().execute()).map((r) => [r.key, r]));
    for (const [key, def] of Object.entries(defs)) {
      checkPackage(def, `/modules/wallet/packages/${key}`);
      const row = existing.get(key);
      const next = rowOf(key, def, 'yaml', now);
      if (!row) {
        await this.db().insertInto('wallet_packages').values(next).onConflict((oc) => oc.column('key').doNothing()).execute();
      } else if (row.source === 'yaml' && !sameDefinition(row, next)) {
        const { key: _k, created_at: _c, ...set } = next;
        await this.db().updateTable('wallet_packages').set(set).where('key', '=', key).where('source', '=', 'yaml').execute();
      }
    }
    // A key taken out of yaml goes away too, unless an admin made it theirs.
    for (const [key, row] of existing) {
      if (row.source === 'yaml' && Number(row.deleted) === 0 && !Object.hasOwn(defs, key)) {
        await this.db().updateTable('wallet_packages').set({ deleted: 1, updated_at: now }).where('key', '=', key).where('source', '=', 'yaml').execute();
      }
    }
  }

  async get(key: string): Promise<CreditPackage | undefined> {
    const row = await this.db().selectFrom('wallet_packages').selectAll().where('key', '=', key).where('deleted', '=', 0).executeTakeFirst();
    return row ? toPackage(row) : undefined;
  }

  /** Every package not deleted (inactive ones included, with `active: false`), in display order. */
  async list(opts: { activeOnly?: boolean } = {}): Promise<CreditPackage[]> {
    const rows = await this.db().selectFrom('wallet_packages').selectAll().where('deleted', '=', 0).orderBy('sort').orderBy('key').execute();
    const now = Date.now();
    const all = rows.map((r) => toPackage(r, now));
    return opts.activeOnly ? all.filter((p) => p.active) : all;
  }

  /** Creates or replaces a package (admin source). `created` when it did not exist or was deleted. */
  async put(key: string, def: PackageDef): Promise<{ pkg: CreditPackage; created: boolean }> {
    checkPackage(def);
    const before = await this.db().selectFrom('wallet_packages').select(['deleted', 'created_at']).where('key', '=', key).executeTakeFirst();
    const now = new Date().toISOString();
    const row = rowOf(key, def, 'admin', now);
    const { key: _k, created_at: _c, ...set } = row;
    await this.db()
      .insertInto('wallet_packages')
      .values(row)
      .onConflict((oc) => oc.column('key').doUpdateSet(set))
      .execute();
    return { pkg: (await this.get(key))!, created: !before || Number(before.deleted) === 1 };
  }

  /** Tombstones a package: gone from lists and checkouts, and yaml does not bring it back. */
  async remove(key: string): Promise<void> {
    const res = await this.db()
      .updateTable('wallet_packages')
      .set({ deleted: 1, source: 'admin', updated_at: new Date().toISOString() })
      .where('key', '=', key)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw notFound('package_not_found');
  }
}
