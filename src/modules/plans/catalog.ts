import { Value } from 'typebox/value';
import type { ModuleContext } from '../../core/module.js';
import { typedDb, toIso } from '../../core/db/dialect.js';
import { unprocessable } from '../../core/http/problem.js';
import { PlanDefinitionSchema, type PlanDefinition, type PlansConfig } from './config.js';
import { formatMoney, isCurrency } from '../../core/money.js';
import type { PlansDb, PlansTables } from './schema.js';

/**
 * A plan as services answer it: the shape payments reads through `getPlan(key)` (BRIEF), plus
 * `active`, `order` and where it comes from.
 */
export interface Plan {
  key: string;
  names: { es: string; en: string };
  price: { amount: number; currency: string };
  interval: 'month' | 'year';
  trialDays: number;
  limits: Record<string, number>;
  features: string[];
  providers?: { stripe?: { priceId?: string } };
  active: boolean;
  order: number;
  /** 'config' (neptuno.yaml) or 'admin' (stored; replaces the yaml plan of that key). */
  source: 'config' | 'admin';
  updatedAt: string | null;
}

const INVALIDATE = 'plans:catalog';

/**
 * The catalog: neptuno.yaml's plans, overridden key by key by admin edits stored in
 * `plan_definitions`. Precedence: a stored plan replaces the yaml plan of the same key as a
 * whole (not field by field); deleting it brings the yaml plan back. Each replica keeps the
 * merged catalog for `planCacheMs`; an edit clears it at once on every replica (pub/sub).
 */
export class Catalog {
  private memo: { at: number; plans: Map<string, Plan> } | null = null;

  constructor(private readonly ctx: ModuleContext<PlansConfig>) {}

  private get db(): PlansDb {
    return typedDb<PlansTables>(this.ctx);
  }

  async start(): Promise<void> {
    await this.ctx.pubsub.subscribe(INVALIDATE, () => {
      this.memo = null;
    });
  }

  private async load(): Promise<Map<string, Plan>> {
    const now = Date.now();
    if (this.memo && now - this.memo.at < this.ctx.config.planCacheMs) return this.memo.plans;
    const plans = new Map<string, Plan>();
    for (const [key, def] of Object.entries(this.ctx.config.plans)) plans.set(key, toPlan(key, def, 'config', null));
    const rows = await this.db.selectFrom('plan_definitions').selectAll().execute();
    for (const row of rows) {
      const def = parseStored(row.definition);
      if (def) plans.set(row.key, toPlan(row.key, def, 'admin', toIso(row.updated_at)));
      else this.ctx.log.warn({ key: row.key }, 'stored plan definition is invalid: ignored, the yaml plan (if any) applies');
    }
    this.memo = { at: now, plans };
    return plans;
  }

  /** Any plan by key, active or not (existing subscribers keep an inactive plan). */
  async get(key: string): Promise<Plan | undefined> {
    return (await this.load()).get(key);
  }

  /** Every plan, by order then key; `activeOnly` for the public catalog. */
  async list(activeOnly = false): Promise<Plan[]> {
    const all = [...(await this.load()).values()].filter((p) => !activeOnly || p.active);
    return all.sort((a, b) => a.order - b.order || a.key.localeCompare(b.key));
  }

  /** Stores an admin's plan (creates or replaces the key). */
  async put(key: string, input: PlanDefinition): Promise<Plan> {
    const def = Value.Default(PlanDefinitionSchema, structuredClone(input)) as PlanDefinition;
    if (!isCurrency(def.price.currency)) {
      throw unprocessable('plan_invalid_currency', {
        params: { currency: def.price.currency },
        errors: [{ pointer: '/body/price/currency', code: 'currency', detail: 'Not an ISO 4217 currency code' }],
      });
    }
    const now = new Date().toISOString();
    const definition = JSON.stringify(def);
    await this.db
      .insertInto('plan_definitions')
      .values({ key, definition, updated_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ definition, updated_at: now }))
      .execute();
    await this.invalidate();
    return toPlan(key, def, 'admin', now);
  }

  /** Removes an admin's version: the yaml plan of that key (if any) applies again. False when none was stored. */
  async remove(key: string): Promise<boolean> {
    const res = await this.db.deleteFrom('plan_definitions').where('key', '=', key).executeTakeFirst();
    await this.invalidate();
    return Number(res.numDeletedRows) > 0;
  }

  private async invalidate(): Promise<void> {
    this.memo = null;
    await this.ctx.pubsub.publish(INVALIDATE, {});
  }
}

function parseStored(text: string): PlanDefinition | null {
  try {
    const value = Value.Default(PlanDefinitionSchema, JSON.parse(text));
    return Value.Check(PlanDefinitionSchema, value) ? (value as PlanDefinition) : null;
  } catch {
    return null;
  }
}

function toPlan(key: string, def: PlanDefinition, source: Plan['source'], updatedAt: string | null): Plan {
  return {
    key,
    names: { es: def.names.es, en: def.names.en },
    price: { amount: def.price.amount, currency: def.price.currency },
    interval: def.interval ?? 'month',
    trialDays: def.trialDays ?? 0,
    limits: { ...def.limits },
    features: [...(def.features ?? [])],
    ...(def.providers ? { providers: structuredClone(def.providers) } : {}),
    active: def.active ?? true,
    order: def.order ?? 0,
    source,
    updatedAt,
  };
}

/** The public face of a plan in one language: its name and formatted price. */
export function localizePlan(plan: Plan, locale: 'es' | 'en') {
  return {
    key: plan.key,
    name: plan.names[locale],
    names: plan.names,
    price: { ...plan.price, formatted: formatMoney(plan.price.amount, plan.price.currency, locale) },
    interval: plan.interval,
    trialDays: plan.trialDays,
    limits: plan.limits,
    features: plan.features,
  };
}

/** Config errors that stop start-up: a yaml plan priced in a currency that does not exist. */
export function configErrors(config: PlansConfig): string[] {
  const problems: string[] = [];
  for (const [key, def] of Object.entries(config.plans)) {
    if (!isCurrency(def.price.currency)) problems.push(`modules.plans.plans.${key}.price.currency: ${def.price.currency} is not an ISO 4217 code`);
  }
  return problems;
}
