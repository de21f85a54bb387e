import type Stripe from 'stripe';
import type {
  ProviderPayment,
  ProviderPaymentStatus,
  ProviderSubscription,
  ProviderSubscriptionStatus,
  SubscriptionEventKind,
  WebhookEvent,
} from '../contract.js';

/**
 * Stripe objects → the provider contract. Pure functions over the objects Stripe sends in its
 * events and API answers (API version pinned by the SDK, see ./adapter.ts), so the webhook path
 * needs no network call. Our identifiers travel in `metadata` (set by createCheckout):
 * `paymentId` (our payment), `userId`, `tenantId`, `purposeKind`, `purposeKey`, `planKey`.
 */

const idOf = (v: string | { id: string } | null | undefined): string | undefined => (v == null ? undefined : typeof v === 'string' ? v : v.id);
const iso = (unix: number | null | undefined): string | undefined => (unix == null ? undefined : new Date(unix * 1000).toISOString());
const meta = (m: Stripe.Metadata | null | undefined, key: string): string | undefined => {
  const v = m?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** A Checkout Session of mode `payment`. Its payment is the PaymentIntent (the id refunds name). */
export function paymentFromSession(session: Stripe.Checkout.Session): ProviderPayment {
  // `paid`: money captured. `no_payment_required`: a 100 % discount, nothing to wait for.
  // `unpaid` on a completed session: an asynchronous method (bank debit) still settling.
  const status: ProviderPaymentStatus =
    session.payment_status === 'paid' || session.payment_status === 'no_payment_required'
      ? 'approved'
      : session.status === 'expired'
        ? 'rejected'
        : 'pending';
  return {
    providerPaymentId: idOf(session.payment_intent) ?? session.id,
    reference: session.client_reference_id ?? meta(session.metadata, 'paymentId') ?? null,
    status,
    amount: session.amount_total ?? 0,
    currency: (session.currency ?? '').toUpperCase(),
    providerStatus: `${session.status}/${session.payment_status}`,
    raw: session,
  };
}

/** The charge whose state (refunds, disputes) a PaymentIntent's latest charge carries, when expanded. */
function chargeOf(pi: Stripe.PaymentIntent): Stripe.Charge | undefined {
  return typeof pi.latest_charge === 'object' && pi.latest_charge !== null ? pi.latest_charge : undefined;
}

export function paymentFromIntent(pi: Stripe.PaymentIntent): ProviderPayment {
  const charge = chargeOf(pi);
  let status: ProviderPaymentStatus;
  if (pi.status === 'succeeded') {
    status = charge?.disputed ? 'charged_back' : charge?.refunded ? 'refunded' : 'approved';
  } else if (pi.status === 'canceled') {
    status = 'rejected';
  } else if (pi.status === 'requires_payment_method' && pi.last_payment_error) {
    // The last attempt was declined. Checkout lets the payer retry with another card on the same
    // intent, so a later `payment_intent.succeeded` may still turn this into approved.
    status = 'rejected';
  } else {
    status = 'pending';
  }
  return {
    providerPaymentId: pi.id,
    reference: meta(pi.metadata, 'paymentId') ?? null,
    status,
    amount: pi.amount,
    currency: pi.currency.toUpperCase(),
    ...(charge ? { refundedAmount: charge.amount_refunded } : {}),
    providerStatus: pi.status,
    raw: pi,
  };
}

/** `charge.refunded`: full refund → refunded; partial → still approved, with the amount refunded so far. */
export function paymentFromCharge(charge: Stripe.Charge): ProviderPayment {
  return {
    providerPaymentId: idOf(charge.payment_intent) ?? charge.id,
    reference: meta(charge.metadata, 'paymentId') ?? null,
    status: charge.disputed ? 'charged_back' : charge.refunded ? 'refunded' : charge.status === 'failed' ? 'rejected' : 'approved',
    amount: charge.amount,
    currency: charge.currency.toUpperCase(),
    refundedAmount: charge.amount_refunded,
    providerStatus: charge.refunded ? 'refunded' : charge.status,
    raw: charge,
  };
}

/** `charge.dispute.created`: the bank pulled the money back; a dispute carries no metadata of ours. */
export function paymentFromDispute(dispute: Stripe.Dispute): ProviderPayment {
  return {
    providerPaymentId: idOf(dispute.payment_intent) ?? idOf(dispute.charge) ?? dispute.id,
    reference: null,
    status: 'charged_back',
    amount: dispute.amount,
    currency: dispute.currency.toUpperCase(),
    providerStatus: `dispute:${dispute.status}`,
    raw: dispute,
  };
}

/**
 * Stripe has eight subscription states; the contract has four. `unpaid` and `incomplete` (first
 * payment not made) owe money → past_due; `paused` (trial ended without a payment method) also
 * stops service until paid → past_due; `incomplete_expired` never started → canceled.
 */
export function subscriptionStatus(s: Stripe.Subscription.Status): ProviderSubscriptionStatus {
  switch (s) {
    case 'trialing':
      return 'trialing';
    case 'active':
      return 'active';
    case 'canceled':
    case 'incomplete_expired':
      return 'canceled';
    default:
      return 'past_due';
  }
}

function ownerFrom(m: Stripe.Metadata | null | undefined): ProviderSubscription['owner'] {
  const userId = meta(m, 'userId');
  const tenantId = meta(m, 'tenantId');
  return userId || tenantId ? { ...(userId ? { userId } : {}), tenantId: tenantId ?? null } : undefined;
}

export function subscriptionFrom(sub: Stripe.Subscription): ProviderSubscription {
  // Since API 2025-03-31 the billing period lives on each item; a plan has one item.
  const periodEnd = sub.items?.data?.[0]?.current_period_end;
  const owner = ownerFrom(sub.metadata);
  const reference = meta(sub.metadata, 'paymentId');
  const planKey = meta(sub.metadata, 'planKey');
  const customerId = idOf(sub.customer);
  const currentPeriodEnd = iso(periodEnd);
  const trialEnd = iso(sub.trial_end);
  return {
    providerSubscriptionId: sub.id,
    ...(reference ? { reference } : {}),
    ...(customerId ? { customerId } : {}),
    ...(planKey ? { planKey } : {}),
    ...(owner ? { owner } : {}),
    status: subscriptionStatus(sub.status),
    ...(currentPeriodEnd ? { currentPeriodEnd } : {}),
    ...(trialEnd ? { trialEnd } : {}),
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    raw: sub,
  };
}

/**
 * An invoice names its subscription and carries a copy of the subscription's metadata
 * (`parent.subscription_details`). The status is inferred from the invoice: paid → active (a
 * zero first invoice is the start of a trial), payment failed → past_due. The subscription's own
 * `customer.subscription.updated` event, sent alongside, carries Stripe's authoritative status.
 */
export function subscriptionFromInvoice(invoice: Stripe.Invoice, kind: 'invoice.paid' | 'invoice.payment_failed'): ProviderSubscription | undefined {
  const details = invoice.parent?.subscription_details;
  const subId = idOf(details?.subscription);
  if (!subId) return undefined;
  const m = details?.metadata ?? null;
  const trialStart = kind === 'invoice.paid' && invoice.billing_reason === 'subscription_create' && invoice.amount_paid === 0;
  const owner = ownerFrom(m);
  const reference = meta(m, 'paymentId');
  const planKey = meta(m, 'planKey');
  const customerId = idOf(invoice.customer);
  const periodEnd = invoice.lines?.data?.[0]?.period?.end;
  const currentPeriodEnd = iso(periodEnd);
  return {
    providerSubscriptionId: subId,
    ...(reference ? { reference } : {}),
    ...(customerId ? { customerId } : {}),
    ...(planKey ? { planKey } : {}),
    ...(owner ? { owner } : {}),
    status: kind === 'invoice.payment_failed' ? 'past_due' : trialStart ? 'trialing' : 'active',
    ...(currentPeriodEnd ? { currentPeriodEnd } : {}),
    ...(kind === 'invoice.paid' ? { amountPaid: invoice.amount_paid, currency: invoice.currency.toUpperCase() } : {}),
    raw: invoice,
  };
}

/** A completed Checkout Session of mode `subscription`: the subscription exists from now on. */
function subscriptionFromSession(session: Stripe.Checkout.Session): ProviderSubscription | undefined {
  const subId = idOf(session.subscription);
  if (!subId) return undefined;
  const m = session.metadata;
  const owner = ownerFrom(m);
  const planKey = meta(m, 'planKey');
  const customerId = idOf(session.customer);
  const reference = session.client_reference_id ?? meta(m, 'paymentId');
  return {
    providerSubscriptionId: subId,
    ...(reference ? { reference } : {}),
    ...(customerId ? { customerId } : {}),
    ...(planKey ? { planKey } : {}),
    ...(owner ? { owner } : {}),
    // Nothing charged now means a trial (Checkout starts trials with `no_payment_required`).
    status: session.payment_status === 'paid' ? 'active' : session.payment_status === 'no_payment_required' ? 'trialing' : 'past_due',
    ...(session.payment_status === 'unpaid' ? {} : { amountPaid: session.amount_total ?? 0 }),
    ...(session.currency ? { currency: session.currency.toUpperCase() } : {}),
    raw: session,
  };
}

const SUBSCRIPTION_EVENTS: Record<string, SubscriptionEventKind> = {
  'customer.subscription.created': 'created',
  'customer.subscription.updated': 'updated',
  'customer.subscription.deleted': 'deleted',
  'customer.subscription.paused': 'updated',
  'customer.subscription.resumed': 'updated',
  'customer.subscription.trial_will_end': 'trial_will_end',
};

/** A verified Stripe event → the contract's WebhookEvent. Events we do not act on are `ignored`. */
export function normalizeEvent(event: Stripe.Event): WebhookEvent {
  const base = { eventId: event.id };
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      const session = event.data.object;
      const reference = session.client_reference_id ?? meta(session.metadata, 'paymentId');
      if (session.mode === 'subscription') {
        if (event.type !== 'checkout.session.completed') return { ...base, kind: 'ignored' };
        const subscription = subscriptionFromSession(session);
        return subscription ? { ...base, kind: 'subscription', subscription, subscriptionEvent: 'created', ...(reference ? { reference } : {}) } : { ...base, kind: 'ignored' };
      }
      if (session.mode !== 'payment') return { ...base, kind: 'ignored' };
      const payment = paymentFromSession(session);
      if (event.type === 'checkout.session.async_payment_failed') payment.status = 'rejected';
      return { ...base, kind: 'payment', payment, ...(reference ? { reference } : {}) };
    }
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed':
    case 'payment_intent.canceled': {
      const pi = event.data.object;
      // Subscription invoices create intents too, without our paymentId: their money is told by
      // invoice.paid / invoice.payment_failed, so the intent itself is not a payment of ours.
      if (!meta(pi.metadata, 'paymentId')) return { ...base, kind: 'ignored' };
      const payment = paymentFromIntent(pi);
      if (event.type === 'payment_intent.payment_failed') payment.status = 'rejected';
      return { ...base, kind: 'payment', payment };
    }
    case 'charge.refunded':
      return { ...base, kind: 'payment', payment: paymentFromCharge(event.data.object) };
    case 'charge.dispute.created':
      return { ...base, kind: 'payment', payment: paymentFromDispute(event.data.object) };
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const subscription = subscriptionFromInvoice(event.data.object, event.type);
      return subscription ? { ...base, kind: 'subscription', subscription, subscriptionEvent: event.type } : { ...base, kind: 'ignored' };
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
    case 'customer.subscription.paused':
    case 'customer.subscription.resumed':
    case 'customer.subscription.trial_will_end':
      return { ...base, kind: 'subscription', subscription: subscriptionFrom(event.data.object), subscriptionEvent: SUBSCRIPTION_EVENTS[event.type] };
    default:
      return { ...base, kind: 'ignored' };
  }
}
