import type { Actor } from '../http/access.js';
import { forbidden } from '../http/problem.js';

/**
 * Tenant scoping for module queries. Tables holding tenant data get a nullable `tenant_id`
 * column; `Actor.tenantId` says whose rows a request may see (the auth module fills it from the
 * session's active organization when tenants are on; it is null in single-tenant apps). These
 * helpers need only the actor, so they live in the kernel and any module may use them:
 *
 *   const actor = await request.actor();
 *   await scopeToTenant(ctx.db.selectFrom('campaigns').selectAll(), actor).execute();
 *   await ctx.db.insertInto('campaigns').values({ ..., tenant_id: tenantValue(actor) }).execute();
 */

/** Anything with Kysely's three-argument `where` (select, update and delete builders). */
interface Whereable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  where(lhs: any, op: any, rhs: any): any;
}

/**
 * Restricts a query to the caller's tenant: `column = actor.tenantId`, or `column IS NULL` for
 * an actor without a tenant (single-tenant apps keep `tenant_id` null everywhere). Never returns
 * another tenant's rows, whoever calls.
 */
export function scopeToTenant<Q extends Whereable>(query: Q, actor: Pick<Actor, 'tenantId'> | null, column = 'tenant_id'): Q {
  const tenantId = actor?.tenantId ?? null;
  return (tenantId === null ? query.where(column, 'is', null) : query.where(column, '=', tenantId)) as Q;
}

/** The value to write in `tenant_id` for rows the actor creates. */
export const tenantValue = (actor: Pick<Actor, 'tenantId'> | null): string | null => actor?.tenantId ?? null;

/** Guard for routes that only make sense inside a tenant: 403 `tenant_required` without one. */
export function requireTenant(actor: Pick<Actor, 'tenantId'> | null): string {
  if (!actor?.tenantId) throw forbidden('tenant_required');
  return actor.tenantId;
}
