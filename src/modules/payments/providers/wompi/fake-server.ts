import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checksumMatches, eventChecksum, integritySignature } from './signatures.js';

/**
 * A local Wompi (sandbox flavour) for tests and development. It serves the API the adapter calls
 * (`GET /v1/transactions/:id`, `GET /v1/transactions?reference=`, `POST /v1/transactions/:id/void`,
 * `POST /v1/payment_links`) with Wompi's `{ data }` / `{ error: { type, reason } }` answers, and the
 * Web Checkout at `/p/`, which checks the integrity signature exactly as Wompi does. A test plays
 * the payer with `pay(checkoutUrl)`; each final status is posted as a `transaction.updated`
 * event checksummed per Wompi's documentation, and can be delivered again, out of order or
 * spoiled.
 */

type Json = Record<string, unknown>;
export interface WompiEvent {
  event: string;
  data: { transaction: Json };
  environment: 'test' | 'prod';
  signature: { properties: string[]; checksum: string };
  timestamp: number;
  sent_at: string;
}
export interface SignedDelivery {
  rawBody: Buffer;
  headers: Record<string, string>;
}
export type WebhookSink = (req: SignedDelivery) => Promise<unknown>;
/** Another events secret, the amount changed after signing, a garbage checksum, a checksum only in the header that disagrees, a 3-day-old timestamp. */
export type Tamper = 'secret' | 'body' | 'checksum' | 'header' | 'stale';
export type FinalStatus = 'APPROVED' | 'DECLINED' | 'ERROR' | 'VOIDED';

const rand = (n: number): string => randomBytes(n).toString('base64url').replace(/[-_]/g, 'x');

export class FakeWompi {
  readonly publicKey = `pub_test_${rand(24)}`;
  readonly privateKey = `prv_test_${rand(24)}`;
  readonly eventsSecret = `test_events_${rand(24)}`;
  readonly integritySecret = `test_integrity_${rand(24)}`;
  readonly transactions = new Map<string, Json>();
  readonly paymentLinks = new Map<string, Json>();
  readonly events: WompiEvent[] = [];
  autoDeliver = true;
  private sink: WebhookSink | null = null;
  private port = 0;

  private readonly server: Server = createServer((req, res) => void this.handle(req, res));

  private constructor() {}

  static async start(): Promise<FakeWompi> {
    const fake = new FakeWompi();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** The `modules.payments.providers.wompi` section pointing at this fake. */
  get config(): { publicKey: string; privateKey: string; eventsSecret: string; integritySecret: string; baseUrl: string } {
    return { publicKey: this.publicKey, privateKey: this.privateKey, eventsSecret: this.eventsSecret, integritySecret: this.integritySecret, baseUrl: this.baseUrl };
  }

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

  /**
   * The payer opens a Web Checkout URL and pays: the URL is checked like Wompi's checkout checks it
   * (public key, integrity signature, expiration), then a transaction is created with `status`
   * (PENDING waits for `finalize`). Returns the transaction.
   */
  async pay(checkoutUrl: string, opts: { status?: FinalStatus | 'PENDING'; method?: 'CARD' | 'PSE' | 'NEQUI' } = {}): Promise<Json> {
    const q = new URL(checkoutUrl).searchParams;
    const problem = this.checkCheckout(q);
    if (problem) throw new Error(`FakeWompi checkout refused: ${problem}`);
    const method = opts.method ?? 'CARD';
    const createdAt = new Date();
    const tx: Json = {
      id: `${randomInt(1000, 99999)}-${Math.floor(createdAt.getTime() / 1000)}-${randomInt(10000, 99999)}`,
      created_at: createdAt.toISOString(),
      finalized_at: null,
      amount_in_cents: Number(q.get('amount-in-cents')),
      reference: q.get('reference'),
      customer_email: q.get('customer-data:email') ?? 'payer@example.com',
      currency: q.get('currency'),
      payment_method_type: method,
      payment_method: method === 'CARD' ? { type: 'CARD', extra: { brand: 'VISA', last_four: '4242' }, installments: 1 } : { type: method },
      status: 'PENDING',
      status_message: null,
      shipping_address: null,
      redirect_url: q.get('redirect-url'),
      payment_source_id: null,
      payment_link_id: null,
      customer_data: null,
      billing_data: null,
    };
    this.transactions.set(tx.id as string, tx);
    if (opts.status && opts.status !== 'PENDING') await this.finalize(tx.id as string, opts.status);
    return tx;
  }

  /** A transaction reaches a final status; Wompi posts transaction.updated. */
  async finalize(transactionId: string, status: FinalStatus): Promise<WompiEvent> {
    const tx = this.transactions.get(transactionId);
    if (!tx) throw new Error(`FakeWompi: no transaction ${transactionId}`);
    tx.status = status;
    tx.finalized_at = new Date().toISOString();
    tx.status_message = status === 'DECLINED' ? 'Transacción rechazada' : status === 'ERROR' ? 'Error del medio de pago' : null;
    const event = this.event(tx);
    this.events.push(event);
    if (this.autoDeliver && this.sink) await this.deliver(event);
    return event;
  }

  /** The event Wompi would send for a transaction as it is now, checksummed with the events secret. */
  event(tx: Json, timestamp = Math.floor(Date.now() / 1000), secret = this.eventsSecret): WompiEvent {
    const unsigned = {
      event: 'transaction.updated',
      data: { transaction: structuredClone(tx) },
      environment: 'test' as const,
      signature: { properties: ['transaction.id', 'transaction.status', 'transaction.amount_in_cents'], checksum: '' },
      timestamp,
      sent_at: new Date().toISOString(),
    };
    unsigned.signature.checksum = eventChecksum(unsigned, secret);
    return unsigned;
  }

  lastEvent(transactionId?: string): WompiEvent | undefined {
    return this.events.findLast((e) => !transactionId || e.data.transaction.id === transactionId);
  }

  signed(event: WompiEvent, tamper?: Tamper): SignedDelivery {
    let e = event;
    if (tamper === 'secret') e = this.event(event.data.transaction, event.timestamp, 'test_events_not_the_merchant_secret');
    if (tamper === 'stale') e = this.event(event.data.transaction, Math.floor(Date.now() / 1000) - 3 * 86_400);
    if (tamper === 'body') e = { ...event, data: { transaction: { ...event.data.transaction, amount_in_cents: Number(event.data.transaction.amount_in_cents) * 100 } } };
    if (tamper === 'checksum') e = { ...event, signature: { ...event.signature, checksum: 'A'.repeat(64) } };
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-event-checksum': tamper === 'header' ? 'B'.repeat(64) : e.signature.checksum };
    return { rawBody: Buffer.from(JSON.stringify(e)), headers };
  }

  async deliver(event: WompiEvent, tamper?: Tamper): Promise<unknown> {
    if (!this.sink) throw new Error('FakeWompi: no webhook target (call onWebhook first)');
    return this.sink(this.signed(event, tamper));
  }

  /** Why Wompi's checkout would refuse this URL, or null. */
  private checkCheckout(q: URLSearchParams): string | null {
    if (q.get('public-key') !== this.publicKey) return 'unknown public-key';
    const reference = q.get('reference');
    const amount = q.get('amount-in-cents');
    const currency = q.get('currency');
    const signature = q.get('signature:integrity');
    if (!reference || !amount || !/^\d+$/.test(amount) || currency !== 'COP' || !signature) return 'missing or invalid required parameters';
    const expirationTime = q.get('expiration-time') ?? undefined;
    const expected = integritySignature({ reference, amountInCents: Number(amount), currency, expirationTime, secret: this.integritySecret });
    if (!checksumMatches(signature, expected)) return 'bad signature:integrity';
    if (expirationTime && Date.parse(expirationTime) < Date.now()) return 'expired';
    return null;
  }

  /**
   * The Web Checkout page, for a developer paying by hand: the signed URL's checks, then Approve /
   * Decline buttons; paying redirects to `redirect-url?id=<transaction id>` as Wompi does.
   */
  private async checkoutPage(method: string, url: URL, body: string, res: ServerResponse): Promise<void> {
    const page = (status: number, html: string): void => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><meta charset="utf-8"><title>Wompi (fake) checkout</title>${html}`);
    };
    if (method === 'POST' && url.pathname === '/p/pay') {
      const f = new URLSearchParams(body);
      const checkoutUrl = `${url.origin}/p/?${f.get('checkout') ?? ''}`;
      const status = f.get('status') === 'DECLINED' ? 'DECLINED' : 'APPROVED';
      let tx: Json;
      try {
        tx = await this.pay(checkoutUrl, { status });
      } catch (err) {
        return page(400, `<p>${escapeHtml((err as Error).message)}</p>`);
      }
      const redirect = typeof tx.redirect_url === 'string' ? new URL(tx.redirect_url) : undefined;
      if (!redirect) return page(200, `<p>Transaction ${escapeHtml(String(tx.id))}: ${status}</p>`);
      redirect.searchParams.set('id', String(tx.id));
      res.writeHead(303, { location: redirect.toString() });
      return void res.end();
    }
    const problem = this.checkCheckout(url.searchParams);
    if (problem) return page(400, `<p>Checkout refused: ${escapeHtml(problem)}</p>`);
    const q = url.searchParams;
    page(
      200,
      `<h1>Wompi (fake) checkout</h1><p>${escapeHtml(q.get('reference') ?? '')}: ${escapeHtml(q.get('amount-in-cents') ?? '')} centavos COP</p>` +
        `<form method="post" action="/p/pay"><input type="hidden" name="checkout" value="${escapeHtml(q.toString())}">` +
        `<button name="status" value="APPROVED">Approve</button> <button name="status" value="DECLINED">Decline</button></form>`,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const send = (status: number, json: Json): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const error = (status: number, type: string, reason: string): void => send(status, { error: { type, reason } });
    const privateAuth = req.headers.authorization === `Bearer ${this.privateKey}`;
    let m: RegExpMatchArray | null;
    if (url.pathname === '/p/' || url.pathname === '/p/pay') return this.checkoutPage(req.method ?? 'GET', url, Buffer.concat(chunks).toString('utf8'), res);
    if (req.method === 'GET' && url.pathname === '/v1/transactions') {
      if (!privateAuth) return error(401, 'INVALID_ACCESS_TOKEN', 'Se esperaba una llave privada');
      const reference = url.searchParams.get('reference');
      if (!reference) return error(422, 'INPUT_VALIDATION_ERROR', 'reference es requerido');
      return send(200, { data: [...this.transactions.values()].filter((t) => t.reference === reference) });
    }
    if (req.method === 'GET' && (m = url.pathname.match(/^\/v1\/transactions\/([^/]+)$/))) {
      const tx = this.transactions.get(decodeURIComponent(m[1]));
      return tx ? send(200, { data: tx }) : error(404, 'NOT_FOUND_ERROR', 'La entidad solicitada no existe');
    }
    if (req.method === 'POST' && (m = url.pathname.match(/^\/v1\/transactions\/([^/]+)\/void$/))) {
      if (!privateAuth) return error(401, 'INVALID_ACCESS_TOKEN', 'Se esperaba una llave privada');
      const tx = this.transactions.get(decodeURIComponent(m[1]));
      if (!tx) return error(404, 'NOT_FOUND_ERROR', 'La entidad solicitada no existe');
      if (tx.payment_method_type !== 'CARD' || tx.status !== 'APPROVED') return error(422, 'INPUT_VALIDATION_ERROR', 'Solo se pueden anular transacciones aprobadas con tarjeta');
      const event = await this.finalize(tx.id as string, 'VOIDED');
      return send(201, { data: { status: 'VOIDED', transaction: event.data.transaction } });
    }
    if (req.method === 'POST' && url.pathname === '/v1/payment_links') {
      if (!privateAuth) return error(401, 'INVALID_ACCESS_TOKEN', 'Se esperaba una llave privada');
      let body: Json;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      } catch {
        return error(422, 'INPUT_VALIDATION_ERROR', 'JSON inválido');
      }
      if (typeof body.name !== 'string' || typeof body.single_use !== 'boolean' || typeof body.collect_shipping !== 'boolean') {
        return error(422, 'INPUT_VALIDATION_ERROR', 'name, single_use y collect_shipping son requeridos');
      }
      const link = { id: rand(6), active: true, currency: 'COP', amount_in_cents: null, sku: null, created_at: new Date().toISOString(), ...body };
      this.paymentLinks.set(link.id, link);
      return send(200, { data: link });
    }
    error(404, 'NOT_FOUND_ERROR', `Ruta no encontrada: ${req.method} ${url.pathname}`);
  }
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
