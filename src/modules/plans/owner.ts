import type { Actor } from '../../core/http/access.js';
import type { OwnerType } from './schema.js';

/**
 * Whose plan and usage: the tenant when the app has tenants (Actor.tenantId), else the user.
 * Payments' events carry `owner: { userId?, tenantId? }` in the same spirit.
 */
export type PlanOwner = { tenantId: string } | { userId: string };

export interface OwnerKey {
  type: OwnerType;
  id: string;
}

export function ownerKey(owner: PlanOwner): OwnerKey {
  if ('tenantId' in owner && owner.tenantId) return { type: 'tenant', id: owner.tenantId };
  if ('userId' in owner && owner.userId) return { type: 'user', id: owner.userId };
  throw new TypeError('A plan owner needs a tenantId or a userId');
}

/** The owner of an actor's usage, or null for guests and service actors (they have no plan). */
export function ownerOfActor(actor: Pick<Actor, 'type' | 'id' | 'tenantId'> | null): PlanOwner | null {
  if (!actor || actor.type !== 'user') return null;
  return actor.tenantId ? { tenantId: actor.tenantId } : { userId: actor.id };
}

/** From a payments event's `owner`: the tenant wins when both are given. */
export function ownerFromEvent(owner: { userId?: string | null; tenantId?: string | null } | null | undefined): PlanOwner | null {
  if (owner?.tenantId) return { tenantId: owner.tenantId };
  if (owner?.userId) return { userId: owner.userId };
  return null;
}

export function ownerOfKey(key: OwnerKey): PlanOwner {
  return key.type === 'tenant' ? { tenantId: key.id } : { userId: key.id };
}
