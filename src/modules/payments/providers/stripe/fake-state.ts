import { randomBytes } from 'node:crypto';
import { form, type FormValue } from './fake-form.js';

/**
 * The fake Stripe account's objects and their life cycle, shaped like Stripe's own JSON (the
 * fields the SDK's types declare for API version `apiVersion` below). Each change returns the
 * events Stripe would send for it; ./fake-server.ts signs and delivers them.
 */

export type Obj = Record<string, unknown>;
export interface FakeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Obj; previous_attributes?: Obj };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** An error answer, as Stripe writes it: `{ error: { type, code, message, param } }`. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
  body(): Obj {
    return { error: { type: this.type, code: this.code, message: this.message, ...(this.param ? { param: this.param } : {}) } };
  }
}

const now = (): number => Math.floor(Date.now() / 1000);
const DAY = 86_400;
export const newId = (prefix: string): string => `${prefix}_test_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
const missing = (kind: string, id: string, param = 'id'): StripeApiError => new StripeApiError(404, 'resource_missing', `No such ${kind}: '${id}'`, param);

export class FakeStripeState {
  readonly sessions = new Map<string, Obj>();
  readonly intents = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();
  readonly disputes = new Map<string, Obj>();
  readonly customers = new Map<string, Obj>();
  readonly subscriptions = new Map<string, Obj>();
  readonly invoices = new Map<string, Obj>();
  /** Prices created in the dashboard (a plan's `providers.stripe.priceId`). */
  readonly prices = new Map<string, Obj>();

  constructor(
    readonly apiVersion: string,
    private readonly baseUrl: () => string,
  ) {}

  event(type: string, object: Obj, previous?: Obj): FakeEvent {
    return {
      id: newId('evt'),
      object: 'event',
      api_version: this.apiVersion,
      created: now(),
      data: { object: publicView(structuredClone(object)), ...(previous ? { previous_attributes: previous } : {}) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
  }

  addPrice(p: { id?: string; unitAmount: number; currency: string; interval?: 'month' | 'year'; productName?: string }): string {
    const id = p.id ?? newId('price');
    this.prices.set(id, {
      id,
      object: 'price',
      active: true,
      currency: p.currency.toLowerCase(),
      unit_amount: p.unitAmount,
      recurring: p.interval ? { interval: p.interval, interval_count: 1 } : null,
      type: p.interval ? 'recurring' : 'one_time',
      product: p.productName ?? 'prod_fake',
    });
    return id;
  }

  createSession(params: Record<string, FormValue>): Obj {
    const mode = form.str(params.mode);
    if (mode !== 'payment' && mode !== 'subscription') throw new StripeApiError(400, 'parameter_invalid_string', 'Invalid mode: must be payment or subscription', 'mode');
    if (!form.str(params.success_url)) throw new StripeApiError(400, 'parameter_missing', 'Missing required param: success_url.', 'success_url');
    const items = form.list(params.line_items);
    if (items.length === 0) throw new StripeApiError(400, 'parameter_missing', 'Missing required param: line_items.', 'line_items');
    let amount = 0;
    let currency: string | undefined;
    const prices: Obj[] = [];
    items.forEach((raw, i) => {
      const item = form.obj(raw) ?? {};
      const quantity = form.int(item.quantity) ?? 1;
      let price: Obj | undefined;
      const priceId = form.str(item.price);
      if (priceId) {
        price = this.prices.get(priceId);
        if (!price) throw missing('price', priceId, `line_items[${i}][price]`);
      } else {
        const pd = form.obj(item.price_data);
        const unit = form.int(pd?.unit_amount);
        const cur = form.str(pd?.currency);
        if (!pd || unit === undefined || unit < 0 || !cur) throw new StripeApiError(400, 'parameter_missing', 'Missing required param: line_items[0][price_data].', `line_items[${i}][price_data]`);
        const interval = form.str(form.obj(pd.recurring)?.interval);
        price = { id: newId('price'), object: 'price', currency: cur, unit_amount: unit, recurring: interval ? { interval, interval_count: 1 } : null, product_data: pd.product_data };
      }
      if (mode === 'subscription' && !price.recurring) throw new StripeApiError(400, 'parameter_invalid', 'You must specify at least one recurring price in `subscription` mode.', `line_items[${i}]`);
      amount += (price.unit_amount as number) * quantity;
      currency = price.currency as string;
      prices.push(price);
    });
    const id = newId('cs');
    const session: Obj = {
      id,
      object: 'checkout.session',
      mode,
      status: 'open',
      payment_status: 'unpaid',
      amount_subtotal: amount,
      amount_total: amount,
      currency,
      client_reference_id: form.str(params.client_reference_id) ?? null,
      customer: null,
      customer_email: form.str(params.customer_email) ?? null,
      metadata: form.meta(params.metadata),
      payment_intent: null,
      subscription: null,
      success_url: form.str(params.success_url),
      cancel_url: form.str(params.cancel_url) ?? null,
      url: `${this.baseUrl()}/c/pay/${id}`,
      created: now(),
      expires_at: now() + DAY,
      livemode: false,
      // Kept for completion (Stripe keeps them server-side too; not part of the session object).
      _prices: prices,
      _intentMetadata: form.meta(form.obj(params.payment_intent_data)?.metadata),
      _subscriptionMetadata: form.meta(form.obj(params.subscription_data)?.metadata),
      _trialDays: form.int(form.obj(params.subscription_data)?.trial_period_days) ?? 0,
    };
    this.sessions.set(id, session);
    return session;
  }

  session(id: string): Obj {
    const s = this.sessions.get(id);
    if (!s) throw missing('checkout.session', id);
    return s;
  }

  intent(id: string, expandCharge = false): Obj {
    const pi = this.intents.get(id);
    if (!pi) throw missing('payment_intent', id);
    return expandCharge && typeof pi.latest_charge === 'string' ? { ...pi, latest_charge: this.charges.get(pi.latest_charge) } : pi;
  }

  subscription(id: string): Obj {
    const s = this.subscriptions.get(id);
    if (!s) throw missing('subscription', id);
    return s;
  }

  customer(id: string): Obj {
    const c = this.customers.get(id);
    if (!c) throw missing('customer', id, 'customer');
    return c;
  }

  /** The charge of a payment intent. */
  chargeOf(piId: string): Obj {
    const pi = this.intent(piId);
    const ch = this.charges.get(pi.latest_charge as string);
    if (!ch) throw new StripeApiError(400, 'charge_not_found', `PaymentIntent ${piId} has no successful charge`, 'payment_intent');
    return ch;
  }

  newCustomer(email: string | null): Obj {
    const c: Obj = { id: newId('cus'), object: 'customer', email, created: now(), livemode: false, metadata: {} };
    this.customers.set(c.id as string, c);
    return c;
  }

  /** A PaymentIntent and, when it succeeded, its charge. */
  newIntent(amount: number, currency: string, metadata: Record<string, string>, succeeded: boolean, customer: string | null = null): { pi: Obj; charge?: Obj } {
    const pi: Obj = {
      id: newId('pi'),
      object: 'payment_intent',
      amount,
      amount_received: succeeded ? amount : 0,
      currency,
      customer,
      status: succeeded ? 'succeeded' : 'requires_payment_method',
      last_payment_error: succeeded ? null : { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
      metadata,
      latest_charge: null,
      created: now(),
      livemode: false,
    };
    let charge: Obj | undefined;
    if (succeeded) {
      charge = {
        id: newId('ch'),
        object: 'charge',
        amount,
        amount_captured: amount,
        amount_refunded: 0,
        captured: true,
        paid: true,
        refunded: false,
        disputed: false,
        status: 'succeeded',
        currency,
        customer,
        payment_intent: pi.id,
        metadata,
        created: now(),
        livemode: false,
      };
      this.charges.set(charge.id as string, charge);
      pi.latest_charge = charge.id;
    }
    this.intents.set(pi.id as string, pi);
    return { pi, charge };
  }

  newInvoice(sub: Obj, amountPaid: number, paid: boolean, reason: string, period: { start: number; end: number }): Obj {
    const price = ((sub.items as { data: Obj[] }).data[0].price ?? {}) as Obj;
    const inv: Obj = {
      id: newId('in'),
      object: 'invoice',
      customer: sub.customer,
      currency: price.currency,
      amount_due: amountPaid,
      amount_paid: paid ? amountPaid : 0,
      amount_remaining: paid ? 0 : amountPaid,
      attempt_count: 1,
      attempted: true,
      billing_reason: reason,
      status: paid ? 'paid' : 'open',
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { subscription: sub.id, metadata: structuredClone(sub.metadata) } },
      lines: { object: 'list', data: [{ id: newId('il'), object: 'line_item', amount: amountPaid, currency: price.currency, period }], has_more: false },
      period_start: period.start,
      period_end: period.end,
      created: now(),
      livemode: false,
      metadata: {},
    };
    this.invoices.set(inv.id as string, inv);
    sub.latest_invoice = inv.id;
    return inv;
  }

  newSubscription(session: Obj, customer: string): Obj {
    const prices = session._prices as Obj[];
    const trialDays = session._trialDays as number;
    const t = now();
    const interval = ((prices[0].recurring as Obj).interval as string) === 'year' ? 365 * DAY : 30 * DAY;
    const periodEnd = trialDays > 0 ? t + trialDays * DAY : t + interval;
    const sub: Obj = {
      id: newId('sub'),
      object: 'subscription',
      customer,
      status: trialDays > 0 ? 'trialing' : 'active',
      metadata: structuredClone(session._subscriptionMetadata),
      items: {
        object: 'list',
        data: prices.map((price) => ({ id: newId('si'), object: 'subscription_item', price, quantity: 1, current_period_start: t, current_period_end: periodEnd })),
        has_more: false,
      },
      trial_start: trialDays > 0 ? t : null,
      trial_end: trialDays > 0 ? periodEnd : null,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      start_date: t,
      created: t,
      latest_invoice: null,
      livemode: false,
      _interval: interval,
    };
    this.subscriptions.set(sub.id as string, sub);
    return sub;
  }
}

/** Objects as Stripe shows them: without the fake's private `_fields`. */
export function publicView(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_')));
}
