import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { parseStripeForm, form, type FormValue } from './fake-form.js';
import { advanceSubscription, completeCheckout, dispute, refund, trialWillEnd, type SubscriptionStep } from './fake-flows.js';
import { FakeStripeState, newId, publicView, StripeApiError, type FakeEvent, type Obj } from './fake-state.js';

/**
 * A local Stripe for tests and development: the REST endpoints the adapter calls, in Stripe's
 * wire format (form-encoded requests with bracketed keys, JSON objects with Stripe's id prefixes,
 * `{ error: { type, code, message } }` answers, Idempotency-Key replays), plus what a test needs
 * to play the payer and the clock: pay a checkout, refund, dispute, move a subscription. Every
 * event is signed with the SDK's own `webhooks.generateTestHeaderString`, exactly what
 * `constructEvent` checks, and can be delivered again, out of order or with a bad signature.
 *
 * @example
 * const stripe = await FakeStripe.start();
 * stripe.onWebhook((req) => app.inject({ method: 'POST', url: '/v1/webhooks/stripe', headers: req.headers, payload: req.rawBody }));
 * // config: { secretKey: stripe.secretKey, webhookSecret: stripe.webhookSecret, baseUrl: stripe.baseUrl }
 * await stripe.completeCheckout(sessionId);
 */

export interface SignedDelivery {
  rawBody: Buffer;
  headers: Record<string, string>;
}
export type WebhookSink = (req: SignedDelivery) => Promise<unknown>;
/** How to spoil a delivery: another secret, a body changed after signing, an old timestamp, no header. */
export type Tamper = 'secret' | 'body' | 'stale' | 'missing';

const sdk = new Stripe('sk_test_fake_signer_only');

export class FakeStripe {
  readonly state: FakeStripeState;
  /** Every event the fake produced, in order. */
  readonly events: FakeEvent[] = [];
  /** Deliver events as they happen (default); off, tests deliver by hand with `deliver`. */
  autoDeliver = true;
  private sink: WebhookSink | null = null;
  private readonly idempotent = new Map<string, { body: string; status: number; json: Obj }>();
  private port = 0;

  private readonly server: Server;

  private constructor(
    readonly secretKey: string,
    readonly webhookSecret: string,
  ) {
    this.state = new FakeStripeState(Stripe.API_VERSION, () => this.baseUrl);
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(opts: { secretKey?: string; webhookSecret?: string } = {}): Promise<FakeStripe> {
    const fake = new FakeStripe(opts.secretKey ?? 'sk_test_fake_' + newId('k'), opts.webhookSecret ?? 'whsec_' + newId('s'));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The `modules.payments.providers.stripe` section pointing at this fake. */
  get config(): { secretKey: string; webhookSecret: string; baseUrl: string } {
    return { secretKey: this.secretKey, webhookSecret: this.webhookSecret, baseUrl: this.baseUrl };
  }

  /** Where events go: a function (e.g. `app.inject`) or a URL (posted with fetch). */
  onWebhook(target: WebhookSink | string): void {
    this.sink =
      typeof target === 'string'
        ? async (d) => {
            const res = await fetch(target, { method: 'POST', headers: d.headers, body: d.rawBody });
            return { statusCode: res.status, body: await res.text() };
          }
        : target;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  // ---- the payer and the clock -------------------------------------------------------------

  /** The payer finishes the checkout (card accepted, or declined with `failed`). */
  completeCheckout(sessionId: string, outcome: 'succeeded' | 'failed' = 'succeeded'): Promise<FakeEvent[]> {
    return this.emit(completeCheckout(this.state, sessionId, outcome));
  }
  dispute(paymentIntentId: string): Promise<FakeEvent[]> {
    return this.emit(dispute(this.state, paymentIntentId));
  }
  advanceSubscription(subscriptionId: string, to: SubscriptionStep): Promise<FakeEvent[]> {
    return this.emit(advanceSubscription(this.state, subscriptionId, to));
  }
  trialWillEnd(subscriptionId: string): Promise<FakeEvent[]> {
    return this.emit(trialWillEnd(this.state, subscriptionId));
  }
  /** A dashboard price (for plans with `providers.stripe.priceId`). */
  addPrice(p: { id?: string; unitAmount: number; currency: string; interval?: 'month' | 'year' }): string {
    return this.state.addPrice(p);
  }

  // ---- webhooks ----------------------------------------------------------------------------

  /** The last event of a type (optionally about an object id). */
  lastEvent(type: string, objectId?: string): FakeEvent | undefined {
    return this.events.findLast((e) => e.type === type && (!objectId || e.data.object.id === objectId));
  }

  /** An event's body and headers as Stripe would post them, signed now (or spoiled). */
  signed(event: FakeEvent, opts: { tamper?: Tamper; timestamp?: number } = {}): SignedDelivery {
    const payload = JSON.stringify(event, null, 2);
    const timestamp = opts.tamper === 'stale' ? Math.floor(Date.now() / 1000) - 3600 : opts.timestamp;
    const secret = opts.tamper === 'secret' ? 'whsec_not_the_endpoint_secret' : this.webhookSecret;
    const signature = sdk.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });
    const body = opts.tamper === 'body' ? payload.replace('"livemode": false', '"livemode": true ') : payload;
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
    if (opts.tamper !== 'missing') headers['stripe-signature'] = signature;
    return { rawBody: Buffer.from(body), headers };
  }

  /** Delivers an event (again): replays, out-of-order runs and bad signatures are all this call. */
  async deliver(event: FakeEvent | string, opts: { tamper?: Tamper; timestamp?: number } = {}): Promise<unknown> {
    const e = typeof event === 'string' ? this.events.find((x) => x.id === event) : event;
    if (!e) throw new Error(`FakeStripe: no event ${String(event)}`);
    if (!this.sink) throw new Error('FakeStripe: no webhook target (call onWebhook first)');
    return this.sink(this.signed(e, opts));
  }

  private async emit(events: FakeEvent[]): Promise<FakeEvent[]> {
    this.events.push(...events);
    if (this.autoDeliver && this.sink) for (const e of events) await this.deliver(e);
    return events;
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const send = (status: number, json: Obj): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': newId('req'), 'stripe-version': Stripe.API_VERSION });
      res.end(JSON.stringify(json));
    };
    if (url.pathname.startsWith('/c/pay/')) return this.checkoutPage(req.method ?? 'GET', url, text, res);
    try {
      if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
        throw new StripeApiError(401, 'api_key_invalid', 'Invalid API Key provided: sk_test_****');
      }
      const key = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
      const cacheKey = typeof key === 'string' ? `${url.pathname}:${key}` : undefined;
      const seen = cacheKey ? this.idempotent.get(cacheKey) : undefined;
      if (seen) {
        if (seen.body !== text) throw new StripeApiError(400, 'idempotency_key_in_use', 'Keys for idempotent requests can only be used with the same parameters they were first used with.', undefined, 'idempotency_error');
        return send(seen.status, seen.json);
      }
      const params = req.method === 'GET' ? parseStripeForm(url.search.slice(1)) : parseStripeForm(text);
      const json = await this.route(req.method ?? 'GET', url.pathname, params);
      if (cacheKey) this.idempotent.set(cacheKey, { body: text, status: 200, json });
      send(200, json);
    } catch (err) {
      if (err instanceof StripeApiError) return send(err.status, err.body());
      send(500, { error: { type: 'api_error', message: (err as Error).message } });
    }
  }

  /** The hosted checkout page, for a developer paying by hand against the fake: Pay or Decline. */
  private async checkoutPage(method: string, url: URL, body: string, res: ServerResponse): Promise<void> {
    const id = decodeURIComponent(url.pathname.slice('/c/pay/'.length));
    const session = this.state.sessions.get(id);
    const page = (status: number, html: string): void => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><meta charset="utf-8"><title>Stripe (fake) checkout</title>${html}`);
    };
    if (!session) return page(404, '<p>No such checkout session.</p>');
    if (method === 'POST') {
      const outcome = new URLSearchParams(body).get('outcome') === 'failed' ? 'failed' : 'succeeded';
      try {
        await this.completeCheckout(id, outcome);
      } catch (err) {
        return page(400, `<p>${escapeHtml((err as Error).message)}</p>`);
      }
      const next = outcome === 'succeeded' ? String(session.success_url).replaceAll('{CHECKOUT_SESSION_ID}', id) : url.pathname;
      res.writeHead(303, { location: next });
      return void res.end();
    }
    const amount = `${escapeHtml(String(session.amount_total))} ${escapeHtml(String(session.currency).toUpperCase())} (minor units)`;
    page(
      200,
      `<h1>Stripe (fake) checkout</h1><p>${escapeHtml(String(session.mode))}: ${amount}; status ${escapeHtml(String(session.status))}</p>` +
        `<form method="post"><button name="outcome" value="succeeded">Pay</button> <button name="outcome" value="failed">Decline card</button></form>`,
    );
  }

  private async route(method: string, path: string, params: Record<string, FormValue>): Promise<Obj> {
    const expand = form.list(params.expand).filter((x): x is string => typeof x === 'string');
    let m: RegExpMatchArray | null;
    if (method === 'POST' && path === '/v1/checkout/sessions') return publicView(this.state.createSession(params));
    if (method === 'GET' && (m = path.match(/^\/v1\/checkout\/sessions\/([^/]+)$/))) return publicView(this.state.session(m[1]));
    if (method === 'GET' && path === '/v1/payment_intents/search') return this.search(params, expand);
    if (method === 'GET' && (m = path.match(/^\/v1\/payment_intents\/([^/]+)$/))) return this.state.intent(m[1], expand.includes('latest_charge'));
    if (method === 'POST' && path === '/v1/refunds') {
      const { refund: r, events } = refund(this.state, params);
      await this.emit(events);
      return r;
    }
    if (method === 'GET' && (m = path.match(/^\/v1\/subscriptions\/([^/]+)$/))) return publicView(this.state.subscription(m[1]));
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      const customer = this.state.customer(form.str(params.customer) ?? '');
      const id = newId('bps');
      return { id, object: 'billing_portal.session', customer: customer.id, return_url: form.str(params.return_url) ?? null, url: `${this.baseUrl}/p/session/${id}`, created: Math.floor(Date.now() / 1000), livemode: false };
    }
    throw new StripeApiError(404, 'resource_missing', `Unrecognized request URL (${method}: ${path}).`);
  }

  /** Stripe's search query language, the one clause the adapter sends: `metadata['key']:'value'`. */
  private search(params: Record<string, FormValue>, expand: string[]): Obj {
    const q = form.str(params.query) ?? '';
    const m = q.match(/^metadata\['([^']+)'\]:'([^']*)'$/);
    if (!m) throw new StripeApiError(400, 'parameter_invalid_string', `The fake supports only metadata['key']:'value' queries, got: ${q}`, 'query');
    const data = [...this.state.intents.values()]
      .filter((pi) => (pi.metadata as Record<string, string>)[m[1]] === m[2])
      .map((pi) => this.state.intent(pi.id as string, expand.includes('data.latest_charge')));
    return { object: 'search_result', data, has_more: false, next_page: null, url: '/v1/payment_intents/search' };
  }
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
