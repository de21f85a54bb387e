import { form, type FormValue } from './fake-form.js';
import { newId, StripeApiError, type FakeEvent, type FakeStripeState, type Obj } from './fake-state.js';

/**
 * What happens at Stripe when the payer or time acts: a checkout paid (or declined), a refund,
 * a dispute, a subscription's trial ending, a renewal failing, a cancellation. Each returns the
 * events Stripe sends for it, in the order Stripe usually sends them (tests reorder at will).
 */

const now = (): number => Math.floor(Date.now() / 1000);

export function completeCheckout(state: FakeStripeState, sessionId: string, outcome: 'succeeded' | 'failed'): FakeEvent[] {
  const session = state.session(sessionId);
  if (session.status !== 'open') throw new StripeApiError(400, 'checkout_session_not_open', `Checkout session ${sessionId} is ${session.status as string}`);
  const amount = session.amount_total as number;
  const currency = session.currency as string;
  if (session.mode === 'payment') {
    const { pi, charge } = state.newIntent(amount, currency, session._intentMetadata as Record<string, string>, outcome === 'succeeded');
    session.payment_intent = pi.id;
    if (outcome === 'failed') {
      // The session stays open: Checkout lets the payer try another card.
      return [state.event('payment_intent.payment_failed', pi)];
    }
    session.status = 'complete';
    session.payment_status = 'paid';
    return [state.event('charge.succeeded', charge!), state.event('payment_intent.succeeded', pi), state.event('checkout.session.completed', session)];
  }
  // mode subscription
  if (outcome === 'failed') throw new StripeApiError(402, 'card_declined', 'Your card was declined.', undefined, 'card_error');
  const customer = state.newCustomer(session.customer_email as string | null);
  const sub = state.newSubscription(session, customer.id as string);
  const item = (sub.items as { data: Obj[] }).data[0];
  const trial = sub.status === 'trialing';
  const firstAmount = trial ? 0 : ((item.price as Obj).unit_amount as number);
  const invoice = state.newInvoice(sub, firstAmount, true, 'subscription_create', { start: item.current_period_start as number, end: item.current_period_end as number });
  session.status = 'complete';
  session.payment_status = trial ? 'no_payment_required' : 'paid';
  session.customer = customer.id;
  session.subscription = sub.id;
  const events = [state.event('customer.created', customer), state.event('customer.subscription.created', sub)];
  if (!trial) {
    const { pi, charge } = state.newIntent(firstAmount, item.price ? ((item.price as Obj).currency as string) : currency, {}, true, customer.id as string);
    events.push(state.event('charge.succeeded', charge!), state.event('payment_intent.succeeded', pi));
  }
  events.push(state.event('invoice.paid', invoice), state.event('checkout.session.completed', session));
  return events;
}

export function refund(state: FakeStripeState, params: Record<string, FormValue>): { refund: Obj; events: FakeEvent[] } {
  const piId = form.str(params.payment_intent);
  const chargeId = form.str(params.charge);
  if (!piId && !chargeId) throw new StripeApiError(400, 'parameter_missing', 'Must provide either `charge` or `payment_intent`.', 'payment_intent');
  const charge = piId ? state.chargeOf(piId) : state.charges.get(chargeId!);
  if (!charge) throw new StripeApiError(404, 'resource_missing', `No such charge: '${chargeId}'`, 'charge');
  const remaining = (charge.amount as number) - (charge.amount_refunded as number);
  if (remaining === 0) throw new StripeApiError(400, 'charge_already_refunded', `Charge ${charge.id as string} has already been refunded.`);
  const rawAmount = params.amount;
  const amount = rawAmount === undefined ? remaining : form.int(rawAmount);
  if (amount === undefined || amount <= 0) throw new StripeApiError(400, 'parameter_invalid_integer', 'Invalid positive integer', 'amount');
  if (amount > remaining) {
    throw new StripeApiError(400, 'amount_too_large', `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, 'amount');
  }
  const r: Obj = {
    id: newId('re'),
    object: 'refund',
    amount,
    charge: charge.id,
    payment_intent: charge.payment_intent,
    currency: charge.currency,
    status: 'succeeded',
    reason: null,
    metadata: form.meta(params.metadata),
    created: now(),
  };
  state.refunds.set(r.id as string, r);
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded = (charge.amount_refunded as number) + amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  return { refund: r, events: [state.event('refund.created', r), state.event('charge.refunded', charge, previous)] };
}

/** The payer's bank disputes the charge (Stripe withdraws the money at once). */
export function dispute(state: FakeStripeState, piId: string): FakeEvent[] {
  const charge = state.chargeOf(piId);
  const d: Obj = {
    id: newId('dp'),
    object: 'dispute',
    amount: charge.amount,
    charge: charge.id,
    payment_intent: piId,
    currency: charge.currency,
    reason: 'fraudulent',
    status: 'needs_response',
    metadata: {},
    created: now(),
    livemode: false,
  };
  state.disputes.set(d.id as string, d);
  charge.disputed = true;
  return [state.event('charge.dispute.created', d)];
}

export type SubscriptionStep = 'active' | 'past_due' | 'canceled';

/**
 * Moves a subscription the way Stripe's billing would: the trial ends or a renewal is paid
 * (→ active, invoice.paid), a renewal payment fails (→ past_due, invoice.payment_failed), or
 * it is canceled (customer.subscription.deleted). Each change also sends
 * customer.subscription.updated with `previous_attributes`.
 */
export function advanceSubscription(state: FakeStripeState, subId: string, to: SubscriptionStep): FakeEvent[] {
  const sub = state.subscription(subId);
  const from = sub.status as string;
  if (from === 'canceled') throw new StripeApiError(400, 'subscription_canceled', `Subscription ${subId} is canceled`);
  if (to === 'canceled') {
    sub.status = 'canceled';
    sub.canceled_at = now();
    sub.ended_at = now();
    return [state.event('customer.subscription.deleted', sub, { status: from })];
  }
  const item = (sub.items as { data: Obj[] }).data[0];
  const price = item.price as Obj;
  const start = now();
  const end = start + (sub._interval as number);
  if (to === 'active') {
    const invoice = state.newInvoice(sub, price.unit_amount as number, true, 'subscription_cycle', { start, end });
    const previous: Obj = { status: from, items: structuredClone(sub.items) };
    item.current_period_start = start;
    item.current_period_end = end;
    sub.status = 'active';
    const { pi, charge } = state.newIntent(price.unit_amount as number, price.currency as string, {}, true, sub.customer as string);
    return [
      state.event('charge.succeeded', charge!),
      state.event('payment_intent.succeeded', pi),
      state.event('invoice.paid', invoice),
      state.event('customer.subscription.updated', sub, previous),
    ];
  }
  // past_due: the renewal's payment failed; Stripe keeps retrying (Smart Retries).
  const invoice = state.newInvoice(sub, price.unit_amount as number, false, 'subscription_cycle', { start, end });
  const { pi } = state.newIntent(price.unit_amount as number, price.currency as string, {}, false, sub.customer as string);
  sub.status = 'past_due';
  return [state.event('payment_intent.payment_failed', pi), state.event('invoice.payment_failed', invoice), state.event('customer.subscription.updated', sub, { status: from })];
}

/** Three days before a trial ends Stripe sends customer.subscription.trial_will_end. */
export function trialWillEnd(state: FakeStripeState, subId: string): FakeEvent[] {
  const sub = state.subscription(subId);
  if (sub.status !== 'trialing') throw new StripeApiError(400, 'subscription_not_trialing', `Subscription ${subId} is not trialing`);
  return [state.event('customer.subscription.trial_will_end', sub)];
}
