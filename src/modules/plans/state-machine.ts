import type { SubscriptionStatus } from './schema.js';

/**
 * The one subscription state machine every provider feeds (Stripe, Mercado Pago, Wompi, prepaid
 * periods): trialing → active ⇄ past_due → canceled, any live state → canceled. Providers
 * deliver webhooks late, twice and out of order, and their events carry no reliable sequence, so
 * an incoming state is judged against the stored one by what it says about time:
 *
 * 1. `canceled` is terminal for a provider subscription: once stored, only another `canceled`
 *    (a replay, or the final field values) applies. A re-subscription gets a new provider id.
 * 2. A period end older than the stored one is stale (an event from a past period).
 * 3. Within the same period, `trialing` never follows a paid state (active, past_due): stale.
 * 4. Anything else applies: the newest delivered state of the current period wins
 *    (active ⇄ past_due as payments fail and are retried).
 */
export type Decision = 'apply' | 'stale' | 'terminal';

export interface StateView {
  status: SubscriptionStatus;
  /** ISO, or null when the provider gave none. */
  currentPeriodEnd: string | null;
}

export function decide(stored: StateView, incoming: StateView): Decision {
  if (stored.status === 'canceled') return incoming.status === 'canceled' ? 'apply' : 'terminal';
  const storedEnd = stored.currentPeriodEnd ? Date.parse(stored.currentPeriodEnd) : null;
  const incomingEnd = incoming.currentPeriodEnd ? Date.parse(incoming.currentPeriodEnd) : null;
  if (storedEnd !== null && incomingEnd !== null) {
    if (incomingEnd < storedEnd) return 'stale';
    if (incomingEnd > storedEnd) return 'apply';
  }
  if (incoming.status === 'trialing' && stored.status !== 'trialing') return 'stale';
  return 'apply';
}

/** States in which the owner has the subscription's plan (past_due per `pastDueKeepsPlan`). */
export function grantsPlan(status: SubscriptionStatus, pastDueKeepsPlan: boolean): boolean {
  return status === 'active' || status === 'trialing' || (status === 'past_due' && pastDueKeepsPlan);
}
