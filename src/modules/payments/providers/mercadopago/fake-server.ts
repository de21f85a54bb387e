import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signManifest } from './signature.js';
import type { MpNotification, MpPayment } from './wire.js';

/**
 * A local Mercado Pago for tests and development (Mercado Pago has no `stripe trigger`). It
 * serves the REST calls the adapter makes, with Mercado Pago's documents and error shapes:
 * `POST /checkout/preferences`, `GET /v1/payments/:id`, `GET /v1/payments/search`,
 * `POST /v1/payments/:id/refunds`; and Checkout Pro's page at `/checkout/v1/redirect?pref_id=`
 * for a developer paying by hand. A test plays the payer with `pay()`; every payment created or
 * updated is notified like Mercado Pago does (POST to the preference's notification_url with
 * `?data.id=&type=payment`, headers `x-signature` and `x-request-id`, signed with the webhook
 * secret per its documentation), and can be delivered again, out of order or spoiled.
 */

type Json = Record<string, unknown>;
export type MpStatus = 'pending' | 'in_process' | 'approved' | 'rejected' | 'cancelled' | 'refunded' | 'charged_back';

export interface MpDelivery {
  /** Query string of the notification URL: `data.id`, `type` (and what the notification_url carried). */
  query: Record<string, string>;
  headers: Record<string, string>;
  rawBody: Buffer;
}
export type MpWebhookSink = (d: MpDelivery) => Promise<unknown>;

/**
 * secret: signed with another secret; stale: a timestamp an hour old; swap: the query's data.id
 * replaced after signing (another payment); unsigned: no x-signature; uppercase: the query's
 * data.id upper-cased (still valid: Mercado Pago signs the lower-cased id).
 */
export type MpTamper = 'secret' | 'stale' | 'swap' | 'unsigned' | 'uppercase';

export interface MpNotificationRecord {
  /** Mercado Pago's notification id (the body's `id`): our inbox key. */
  id: number;
  paymentId: string;
  action: 'payment.created' | 'payment.updated';
  notificationUrl: string | null;
  body: MpNotification;
}

const STATUS_DETAIL: Record<MpStatus, string> = {
  pending: 'pending_waiting_payment',
  in_process: 'pending_contingency',
  approved: 'accredited',
  rejected: 'cc_rejected_other_reason',
  cancelled: 'expired',
  refunded: 'refunded',
  charged_back: 'settled',
};

export class FakeMercadoPago {
  readonly accessToken = `TEST-${randomBytes(8).toString('hex')}-${Date.now()}`;
  readonly webhookSecret = randomBytes(32).toString('hex');
  readonly collectorId = 1_000_000 + Math.floor(Math.random() * 1e6);
  readonly preferences = new Map<string, Json>();
  readonly payments = new Map<string, MpPayment & Json>();
  readonly refunds = new Map<string, Json[]>();
  readonly notifications: MpNotificationRecord[] = [];
  /** Deliver each notification as it happens (else only `deliver` sends them). */
  autoDeliver = true;
  private sink: MpWebhookSink | null = null;
  private nextPaymentId = 1_300_000_000 + Math.floor(Math.random() * 1e6);
  private nextNotificationId = 110_000_000_000 + Math.floor(Math.random() * 1e9);
  private port = 0;
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));

  private constructor() {}

  static async start(): Promise<FakeMercadoPago> {
    const fake = new FakeMercadoPago();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The `modules.payments.providers.mercadopago` section pointing at this fake. */
  get config(): { accessToken: string; webhookSecret: string; baseUrl: string } {
    return { accessToken: this.accessToken, webhookSecret: this.webhookSecret, baseUrl: this.baseUrl };
  }

  /** Where notifications go: a function (tests inject into the app) or a URL (a running server). */
  onWebhook(target: MpWebhookSink | string): void {
    this.sink =
      typeof target === 'string'
        ? async (d) => {
            const url = new URL(target);
            for (const [k, v] of Object.entries(d.query)) url.searchParams.set(k, v);
            const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.rawBody });
            return { statusCode: res.status, body: await res.text() };
          }
        : target;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The preference a checkout URL (init_point or sandbox_init_point) or id names. */
  preference(urlOrId: string): Json {
    const id = urlOrId.includes('pref_id=') ? new URL(urlOrId).searchParams.get('pref_id')! : urlOrId;
    const pref = this.preferences.get(id);
    if (!pref) throw new Error(`FakeMercadoPago: no preference ${id}`);
    return pref;
  }

  /**
   * The payer pays a preference (by its checkout URL or id): a payment with `status` is created
   * and notified (payment.created). A rejected card then an approved one is two payments under
   * one external_reference, as with Mercado Pago.
   */
  async pay(urlOrId: string, opts: { status?: MpStatus; email?: string } = {}): Promise<MpPayment & Json> {
    const pref = this.preference(urlOrId);
    const item = (pref.items as Json[])[0];
    const status = opts.status ?? 'approved';
    const now = new Date().toISOString();
    const payment: MpPayment & Json = {
      id: this.nextPaymentId++,
      status,
      status_detail: STATUS_DETAIL[status],
      external_reference: (pref.external_reference as string | undefined) ?? null,
      transaction_amount: Number(item.unit_price) * Number(item.quantity ?? 1),
      transaction_amount_refunded: 0,
      currency_id: String(item.currency_id),
      date_created: now,
      date_approved: status === 'approved' ? now : null,
      date_last_updated: now,
      live_mode: false,
      payer: { email: opts.email ?? (pref.payer as Json | undefined)?.email as string | undefined ?? 'test_user_123@testuser.com', id: String(this.collectorId + 1) },
      metadata: (pref.metadata as Json) ?? {},
      preference_id: pref.id,
      collector_id: this.collectorId,
      operation_type: 'regular_payment',
      payment_method_id: 'visa',
      payment_type_id: 'credit_card',
      notification_url: pref.notification_url ?? null,
    };
    this.payments.set(String(payment.id), payment);
    await this.notify(payment, 'payment.created');
    return payment;
  }

  /** The payment moves on at Mercado Pago (pending → approved, approved → charged_back…), notified as payment.updated. */
  async setStatus(paymentId: string | number, status: MpStatus): Promise<MpPayment & Json> {
    const p = this.payments.get(String(paymentId));
    if (!p) throw new Error(`FakeMercadoPago: no payment ${paymentId}`);
    p.status = status;
    p.status_detail = STATUS_DETAIL[status];
    p.date_last_updated = new Date().toISOString();
    if (status === 'approved') p.date_approved = p.date_last_updated;
    await this.notify(p, 'payment.updated');
    return p;
  }

  /** A new notification about a payment as it is now (another event id for the same payment). */
  async notify(p: MpPayment & Json, action: MpNotificationRecord['action'] = 'payment.updated'): Promise<MpNotificationRecord> {
    const id = this.nextNotificationId++;
    const rec: MpNotificationRecord = {
      id,
      paymentId: String(p.id),
      action,
      notificationUrl: (p.notification_url as string | null) ?? null,
      body: {
        action,
        api_version: 'v1',
        data: { id: String(p.id) },
        date_created: new Date().toISOString(),
        id,
        live_mode: false,
        type: 'payment',
        user_id: String(this.collectorId),
      },
    };
    this.notifications.push(rec);
    if (this.autoDeliver && this.sink) await this.deliver(rec);
    return rec;
  }

  lastNotification(paymentId?: string | number): MpNotificationRecord | undefined {
    return this.notifications.findLast((n) => paymentId === undefined || n.paymentId === String(paymentId));
  }

  /** The HTTP request Mercado Pago would send for a notification, signed (or spoiled by `tamper`). */
  signed(rec: MpNotificationRecord, tamper?: MpTamper, at = Date.now()): MpDelivery {
    const requestId = randomUUID();
    const ts = String(tamper === 'stale' ? at - 3_600_000 : at);
    const secret = tamper === 'secret' ? 'not-the-merchant-secret' : this.webhookSecret;
    const v1 = signManifest(secret, { dataId: rec.paymentId, requestId, ts });
    const query: Record<string, string> = {};
    if (rec.notificationUrl) for (const [k, v] of new URL(rec.notificationUrl).searchParams) query[k] = v;
    query['data.id'] = tamper === 'swap' ? String(Number(rec.paymentId) + 1) : tamper === 'uppercase' ? rec.paymentId.toUpperCase() : rec.paymentId;
    query.type = 'payment';
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId, 'user-agent': 'MercadoPago WebHook v1.0 payment' };
    if (tamper !== 'unsigned') headers['x-signature'] = `ts=${ts},v1=${v1}`;
    return { query, headers, rawBody: Buffer.from(JSON.stringify(rec.body)) };
  }

  async deliver(rec: MpNotificationRecord, tamper?: MpTamper): Promise<unknown> {
    if (!this.sink) throw new Error('FakeMercadoPago: no webhook target (call onWebhook first)');
    return this.sink(this.signed(rec, tamper));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const send = (status: number, json: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    // Mercado Pago's error document.
    const error = (status: number, error: string, message: string): void => send(status, { message, error, status, cause: [] });
    if (url.pathname.startsWith('/checkout/v1/')) return this.checkoutPage(req.method ?? 'GET', url, raw, res);
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) return error(401, 'unauthorized', 'invalid access token');
    let m: RegExpMatchArray | null;
    if (req.method === 'POST' && url.pathname === '/checkout/preferences') {
      let body: Json;
      try {
        body = JSON.parse(raw) as Json;
      } catch {
        return error(400, 'bad_request', 'JSON is invalid');
      }
      const items = body.items as Json[] | undefined;
      if (!Array.isArray(items) || !items.length) return error(400, 'invalid_items', 'items needed');
      for (const it of items) {
        if (typeof it.unit_price !== 'number' || !(it.unit_price > 0)) return error(400, 'invalid_items', 'unit_price invalid');
        if (typeof it.title !== 'string' || !it.title) return error(400, 'invalid_items', 'title invalid');
        if (typeof it.currency_id !== 'string') return error(400, 'invalid_items', 'currency_id invalid');
      }
      if (body.auto_return && !(body.back_urls as Json | undefined)?.success) return error(400, 'invalid_auto_return', 'auto_return invalid. back_url.success must be defined');
      const id = `${this.collectorId}-${randomUUID()}`;
      const pref: Json = {
        ...body,
        id,
        collector_id: this.collectorId,
        client_id: String(this.collectorId),
        date_created: new Date().toISOString(),
        operation_type: 'regular_payment',
        init_point: `${this.baseUrl}/checkout/v1/redirect?pref_id=${id}`,
        sandbox_init_point: `${this.baseUrl}/checkout/v1/redirect?pref_id=${id}&sandbox=1`,
      };
      this.preferences.set(id, pref);
      return send(201, pref);
    }
    if (req.method === 'GET' && url.pathname === '/v1/payments/search') {
      const ref = url.searchParams.get('external_reference');
      const results = [...this.payments.values()].filter((p) => ref === null || p.external_reference === ref).reverse();
      return send(200, { paging: { total: results.length, limit: 30, offset: 0 }, results });
    }
    if (req.method === 'GET' && (m = url.pathname.match(/^\/v1\/payments\/(\d+)$/))) {
      const p = this.payments.get(m[1]);
      return p ? send(200, p) : send(404, { message: 'Payment not found', error: 'not_found', status: 404, cause: [{ code: 2000, description: 'Payment not found', data: null }] });
    }
    if (req.method === 'POST' && (m = url.pathname.match(/^\/v1\/payments\/(\d+)\/refunds$/))) {
      if (!req.headers['x-idempotency-key']) return error(400, 'bad_request', 'X-Idempotency-Key header is required');
      const p = this.payments.get(m[1]);
      if (!p) return error(404, 'not_found', 'Payment not found');
      if (p.status !== 'approved') return error(400, 'invalid_status', `Payment status ${p.status} is not refundable`);
      const body = raw ? (JSON.parse(raw) as Json) : {};
      const left = p.transaction_amount - (p.transaction_amount_refunded ?? 0);
      const amount = typeof body.amount === 'number' ? body.amount : left;
      if (amount <= 0 || amount > left + 1e-9) return error(400, 'invalid_amount', 'Invalid refund amount');
      const refund = { id: this.nextPaymentId++, payment_id: p.id, amount, status: 'approved', source: { type: 'collector', id: String(this.collectorId) }, date_created: new Date().toISOString(), refund_mode: 'standard', adjustment_amount: 0 };
      this.refunds.set(String(p.id), [...(this.refunds.get(String(p.id)) ?? []), refund]);
      p.transaction_amount_refunded = (p.transaction_amount_refunded ?? 0) + amount;
      // A full refund turns the payment refunded; a partial one leaves it approved.
      if (p.transaction_amount_refunded >= p.transaction_amount - 1e-9) await this.setStatus(p.id, 'refunded');
      return send(201, refund);
    }
    error(404, 'not_found', `resource not found: ${req.method} ${url.pathname}`);
  }

  /** Checkout Pro, for a developer paying by hand: Approve / Reject, then back to back_urls. */
  private async checkoutPage(method: string, url: URL, body: string, res: ServerResponse): Promise<void> {
    const page = (status: number, html: string): void => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><meta charset="utf-8"><title>Mercado Pago (fake) checkout</title>${html}`);
    };
    const prefId = method === 'POST' ? new URLSearchParams(body).get('pref_id') : url.searchParams.get('pref_id');
    const pref = prefId ? this.preferences.get(prefId) : undefined;
    if (!pref) return page(404, '<p>Preference not found</p>');
    if (method === 'POST' && url.pathname === '/checkout/v1/pay') {
      const status: MpStatus = new URLSearchParams(body).get('status') === 'rejected' ? 'rejected' : 'approved';
      const p = await this.pay(prefId!, { status });
      const back = (pref.back_urls as Record<string, string> | undefined)?.[status === 'approved' ? 'success' : 'failure'];
      if (!back) return page(200, `<p>Payment ${p.id}: ${status}</p>`);
      const to = new URL(back);
      for (const [k, v] of Object.entries({ collection_id: String(p.id), collection_status: status, payment_id: String(p.id), status, external_reference: String(p.external_reference ?? ''), preference_id: prefId! })) to.searchParams.set(k, v);
      res.writeHead(303, { location: to.toString() });
      return void res.end();
    }
    const item = (pref.items as Json[])[0];
    page(
      200,
      `<h1>Mercado Pago (fake) checkout</h1><p>${escapeHtml(String(item.title))}: ${escapeHtml(String(item.unit_price))} ${escapeHtml(String(item.currency_id))}</p>` +
        `<form method="post" action="/checkout/v1/pay"><input type="hidden" name="pref_id" value="${escapeHtml(prefId!)}">` +
        `<button name="status" value="approved">Approve</button> <button name="status" value="rejected">Reject</button></form>`,
    );
  }
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
