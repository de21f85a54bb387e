import type { ModuleContext } from '../../core/module.js';
import { lockKey, typedTrx } from '../../core/db/dialect.js';
import type { Trx } from '../../core/db/database.js';
import type { CatalogConfig } from './catalog-config.js';
import type { CatalogTables } from './catalog-schema.js';
import type { OwnerType } from './catalog-schema.js';
import { ownerFromRow } from './owner.js';

interface OwnerRef {
  type: OwnerType;
  id: string;
}

/**
 * Credits that other modules' events grant: `credits` coupons and gamification rewards. Each
 * grant's ledger source is unique per effect, so a redelivered event credits once.
 *
 * A guest may sign up between the event and its delivery: then the credits go to the user the
 * guest became. Both this and the guest merge take the guest's lock (an advisory lock on
 * PostgreSQL; SQLite runs one writer at a time), so a grant lands either before the merge moves
 * the guest's balance, or after it, straight in the user's wallet — never in a merged guest's.
 */
export class Bridges {
  constructor(private readonly ctx: ModuleContext<CatalogConfig>) {}

  /** `coupon.redeemed` of type credits: promotional credits, once per redemption. */
  async couponRedeemed(e: { redemptionId: string; type: string; value: number | null; code: string; actorType: string; actorId: string }): Promise<void> {
    if (e.type !== 'credits' || !e.value || e.value <= 0) return;
    if (e.actorType !== 'user' && e.actorType !== 'guest') return; // a service actor has no wallet
    await this.grantTo({ type: e.actorType, id: e.actorId }, {
      amount: e.value,
      source: `coupon:${e.redemptionId}`,
      reason: `coupon:${e.code}`,
      metadata: { redemptionId: e.redemptionId, code: e.code },
    });
  }

  /** Gamification: credits per badge, level or challenge as configured in `modules.wallet.rewards`. */
  async achievement(kind: 'badge' | 'level' | 'challenge', key: string, actor: { actorType: 'user' | 'guest'; actorId: string }): Promise<void> {
    const table = kind === 'badge' ? this.ctx.config.rewards.badges : kind === 'level' ? this.ctx.config.rewards.levels : this.ctx.config.rewards.challenges;
    const amount = Object.hasOwn(table, key) ? table[key] : undefined;
    if (!amount) return;
    // Keyed by the person who earned it: a badge earned again after a guest merge credits once more only if
    // the combination really earned it again (gamification emits it once per holder).
    await this.grantTo({ type: actor.actorType, id: actor.actorId }, {
      amount,
      sourceFor: (ref) => `gamification:${kind}:${key}:${ref.type}:${ref.id}`,
      reason: `gamification:${kind}:${key}`,
      metadata: { [kind]: key },
    });
  }

  private async grantTo(
    ref: OwnerRef,
    g: { amount: number; reason: string; metadata: Record<string, unknown> } & ({ source: string } | { sourceFor: (ref: OwnerRef) => string }),
  ): Promise<void> {
    const days = this.ctx.config.rewards.expiresInDays;
    const expiresAt = days === null ? undefined : new Date(Date.now() + days * 86_400_000);
    await this.ctx.tx(async (trx) => {
      const target = await this.resolveGuest(trx, ref);
      const source = 'source' in g ? g.source : g.sourceFor(target);
      await this.ctx.services.wallet.grant(ownerFromRow(target.type, target.id), { amount: g.amount, kind: 'promotional', source, reason: g.reason, expiresAt, metadata: g.metadata });
    });
  }

  /** A merged guest's credits go to its user (under the guest's lock: see the class comment). */
  async resolveGuest(trx: Trx, ref: OwnerRef): Promise<OwnerRef> {
    if (ref.type !== 'guest') return ref;
    await lockKey(trx, this.ctx.dialect, `wallet:guest:${ref.id}`);
    const merged = await typedTrx<CatalogTables>(trx).selectFrom('wallet_guest_merges').select('user_id').where('guest_id', '=', ref.id).executeTakeFirst();
    return merged ? { type: 'user', id: merged.user_id } : ref;
  }
}
