import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { signUpAndIn } from '../../testing/auth.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import { admin, notificationsApp, person, send, statusOf } from './testing.js';
import { isPrivateAddress, post } from './webhooks/ssrf.js';

/** A customer's receiver: keeps every request, answers what the test says. */
class Receiver {
  readonly requests: { headers: IncomingHttpHeaders; body: string; path: string }[] = [];
  answer: { status: number; body: string } = { status: 200, body: 'ok' };
  private server!: Server;
  url = '';

  static async start(): Promise<Receiver> {
    const r = new Receiver();
    r.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        r.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '' });
        res.writeHead(r.answer.status, { 'content-type': 'text/plain' });
        res.end(r.answer.body);
      });
    });
    r.server.listen(0, '127.0.0.1');
    await once(r.server, 'listening');
    r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}`;
    return r;
  }

  on(path: string) {
    return this.requests.filter((q) => q.path === path);
  }

  async close() {
    this.server.closeAllConnections();
    this.server.close();
  }
}

const headersOf = (h: IncomingHttpHeaders) => ({ 'webhook-id': String(h['webhook-id']), 'webhook-timestamp': String(h['webhook-timestamp']), 'webhook-signature': String(h['webhook-signature']) });

describe('webhook address guard', () => {
  it('tells public from private addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', 'not-an-ip'])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('refuses to connect to a name that resolves to loopback, and to a private literal', async () => {
    const r = await Receiver.start();
    try {
      const port = new URL(r.url).port;
      const byName = await post(`http://localhost:${port}/hook`, {}, '{}', { timeoutMs: 5000, allowPrivate: false });
      expect(byName.status).toBeNull();
      expect(byName.error).toMatch(/non-public address/);
      const literal = await post(`${r.url}/hook`, {}, '{}', { timeoutMs: 5000, allowPrivate: false });
      expect(literal.error).toMatch(/non-public address 127\.0\.0\.1/);
      expect(r.requests).toHaveLength(0);
      expect((await post(`${r.url}/hook`, {}, '{}', { timeoutMs: 5000, allowPrivate: true })).status).toBe(200);
    } finally {
      await r.close();
    }
  });
});

describe.each(targets)('notifications: outgoing webhooks on %s', (target) => {
  let t: TestApp;
  let strict: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await Receiver.start();
    t = await notificationsApp(target, {
      notifications: {
        quietHours: { enabled: false },
        channels: { inapp: { enabled: true }, email: { enabled: true }, webhook: { enabled: true } },
        webhooks: {
          allowPrivateNetworks: true,
          attempts: 3,
          backoffMs: 20,
          maxBackoffMs: 100,
          disableAfterFailures: 4,
          events: { 'user.registered': {}, 'payment.succeeded': { fields: ['amount', 'currency'] } },
        },
      },
    });
    strict = await notificationsApp(target, { workers: false, notifications: { webhooks: { allowPrivateNetworks: false, events: { 'user.registered': {} } } } });
  });
  afterAll(async () => {
    await t?.close();
    await strict?.close();
    await receiver?.close();
  });

  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({ method, url: `/v1/admin/notifications/webhooks${url}`, headers: admin, ...(payload ? { payload: payload as object } : {}) });

  it('delivers a domain event signed the Standard Webhooks way, ids only; a redelivery repeats the webhook-id', async () => {
    const created = await api('POST', '', { url: `${receiver.url}/users`, eventTypes: ['user.registered'], description: 'CRM' });
    expect(created.statusCode).toBe(201);
    const ep = created.json();
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(ep.secret.slice(6), 'base64')).toHaveLength(32);
    expect((await api('GET', `/${ep.id}`)).json()).not.toHaveProperty('secret');

    const u = await signUpAndIn(t.app);
    const req = await waitFor(() => receiver.on('/users').find((q) => q.body.includes(u.userId)), 'the user.registered delivery');
    const verified = new Webhook(ep.secret).verify(req.body, headersOf(req.headers)) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(verified.type).toBe('user.registered');
    expect(verified.data).toEqual({ userId: u.userId });
    expect(JSON.stringify(verified)).not.toContain(u.email);
    expect(req.headers['webhook-id']).toMatch(/^msg_/);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(req.body, headersOf(req.headers))).toThrow();
    expect(() => new Webhook(ep.secret).verify(req.body.replace(u.userId, 'someone-else'), headersOf(req.headers))).toThrow();

    // The delivery log: status code, duration, the start of the answer.
    const list = (await api('GET', `/${ep.id}/deliveries`)).json();
    const mine = list.data.find((d: { messageId: string }) => d.messageId === req.headers['webhook-id']);
    expect(mine).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 200, eventType: 'user.registered' });
    const detail = (await api('GET', `/${ep.id}/deliveries/${mine.id}`)).json();
    expect(detail.attemptsLog).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, responseBody: 'ok', error: null })]);
    expect(detail.attemptsLog[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(detail.body).toMatchObject({ type: 'user.registered', data: { userId: u.userId } });

    // A receiver that dedupes by webhook-id sees the redelivery as a replay of the same message.
    const seen = new Set(receiver.on('/users').map((q) => String(q.headers['webhook-id'])));
    const before = receiver.on('/users').length;
    expect((await api('POST', `/${ep.id}/deliveries/${mine.id}/redeliver`)).statusCode).toBe(202);
    const replay = await waitFor(() => receiver.on('/users')[before], 'the redelivery');
    expect(seen.has(String(replay.headers['webhook-id']))).toBe(true);
    expect(replay.body).toBe(req.body);
    expect(new Webhook(ep.secret).verify(replay.body, headersOf(replay.headers))).toMatchObject({ type: 'user.registered' });
    await waitFor(async () => (await api('GET', `/${ep.id}/deliveries/${mine.id}`)).json().attemptsLog.length === 2, 'the second attempt logged');
  });

  it('sends only the fields configured, to the tenant and the app endpoints; a notification type through the webhook channel', async () => {
    const own = (await api('POST', '', { url: `${receiver.url}/pay-app`, eventTypes: ['payment.succeeded'] })).json();
    const tenant = (await api('POST', '', { url: `${receiver.url}/pay-t1`, eventTypes: ['payment.succeeded'], tenantId: 't1' })).json();
    const other = (await api('POST', '', { url: `${receiver.url}/pay-t2`, eventTypes: ['payment.succeeded'], tenantId: 't2' })).json();
    await t.ctx.tx(async (trx) => {
      trx.emit('payment.succeeded' as never, { paymentId: 'pay_1', userId: 'u_1', tenantId: 't1', amount: 1999, currency: 'COP', provider: 'stripe', providerPaymentId: 'pi_1', purpose: { kind: 'package', key: 'gold' } } as never);
    });
    const a = await waitFor(() => receiver.on('/pay-app')[0], 'the app endpoint');
    const b = await waitFor(() => receiver.on('/pay-t1')[0], 'the tenant endpoint');
    const data = (new Webhook(own.secret).verify(a.body, headersOf(a.headers)) as { data: unknown }).data;
    expect(data).toEqual({ paymentId: 'pay_1', userId: 'u_1', tenantId: 't1', amount: 1999, currency: 'COP', providerPaymentId: 'pi_1' });
    expect(new Webhook(tenant.secret).verify(b.body, headersOf(b.headers))).toMatchObject({ type: 'payment.succeeded' });
    expect(a.headers['webhook-id']).toBe(b.headers['webhook-id']);
    expect(receiver.on('/pay-t2')).toHaveLength(0);
    expect((await api('GET', `/${other.id}/deliveries`)).json().data).toHaveLength(0);

    const hook = (await api('POST', '', { url: `${receiver.url}/notif`, eventTypes: ['notification.promo'] })).json();
    const u = await person(t);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'hook' }, channels: ['webhook'] })).json().id;
    await statusOf(t, id, 'webhook', 'delivered');
    const n = await waitFor(() => receiver.on('/notif')[0], 'the notification message');
    const body = new Webhook(hook.secret).verify(n.body, headersOf(n.headers)) as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe('notification.promo');
    expect(body.data).toMatchObject({ notificationId: id, type: 'promo', recipient: { type: 'user', id: u.userId } });
    expect(n.body).not.toContain('hook.'); // the rendered text stays home
  });

  it('retries a failing receiver with backoff, dead-letters, then switches the endpoint off and tells the admins', async () => {
    receiver.answer = { status: 500, body: 'boom'.repeat(400) };
    try {
      const ep = (await api('POST', '', { url: `${receiver.url}/failing`, eventTypes: ['user.registered'] })).json();
      await signUpAndIn(t.app);
      const dead = await waitFor(async () => (await api('GET', `/${ep.id}/deliveries?status=dead`)).json().data[0], 'a dead delivery');
      expect(dead).toMatchObject({ attempts: 3, lastStatusCode: 500, lastError: 'HTTP 500' });
      const log = (await api('GET', `/${ep.id}/deliveries/${dead.id}`)).json().attemptsLog;
      expect(log.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500]);
      expect(log[0].responseBody).toHaveLength(1024);
      const ids = new Set(receiver.on('/failing').map((q) => q.headers['webhook-id']));
      expect(ids.size).toBe(1);
      expect(new Set(receiver.on('/failing').map((q) => q.headers['webhook-timestamp'])).size).toBeGreaterThanOrEqual(1);
      expect((await api('GET', `/${ep.id}`)).json()).toMatchObject({ enabled: true, failures: 3 });

      // One more failure reaches disableAfterFailures (4): off, with the reason kept.
      expect((await api('POST', `/${ep.id}/deliveries/${dead.id}/redeliver`)).statusCode).toBe(202);
      const off = await waitFor(async () => {
        const e = (await api('GET', `/${ep.id}`)).json();
        return e.enabled ? null : e;
      }, 'the endpoint switched off');
      expect(off.disabledReason).toMatch(/^4 failed attempts in a row; last: HTTP 500/);
      expect(off.disabledAt).toBeTruthy();
      const told = await waitFor(async () => {
        const rows = (await t.ctx.db.selectFrom('notif_notifications' as never).selectAll().where('type' as never, '=', 'webhook_disabled' as never).execute()) as { data: string }[];
        return rows.find((n) => n.data.includes(ep.id));
      }, 'the admins notified');
      expect(JSON.parse(told.data)).toMatchObject({ endpointId: ep.id, reason: off.disabledReason });

      // Nothing new goes to a disabled endpoint; redelivery waits for it to be switched on.
      await signUpAndIn(t.app);
      expect((await api('POST', `/${ep.id}/deliveries/${dead.id}/redeliver`)).json().code).toBe('webhook_endpoint_disabled');
      const on = (await api('PATCH', `/${ep.id}`, { enabled: true })).json();
      expect(on).toMatchObject({ enabled: true, failures: 0, disabledReason: null });
    } finally {
      receiver.answer = { status: 200, body: 'ok' };
    }
  });

  it('rotates the secret: both sign during the grace period', async () => {
    const ep = (await api('POST', '', { url: `${receiver.url}/rotate`, eventTypes: ['user.registered'] })).json();
    const rotated = (await api('POST', `/${ep.id}/rotate-secret`)).json();
    expect(rotated.secret).not.toBe(ep.secret);
    const u = await signUpAndIn(t.app);
    const req = await waitFor(() => receiver.on('/rotate').find((q) => q.body.includes(u.userId)), 'the delivery');
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(new Webhook(rotated.secret).verify(req.body, headersOf(req.headers))).toMatchObject({ type: 'user.registered' });
    expect(new Webhook(ep.secret).verify(req.body, headersOf(req.headers))).toMatchObject({ type: 'user.registered' });
  });

  it('validates endpoints, in the caller\'s language', async () => {
    const unknown = await t.app.inject({ method: 'POST', url: '/v1/admin/notifications/webhooks', headers: { ...admin, 'accept-language': 'es' }, payload: { url: `${receiver.url}/x`, eventTypes: ['nope.never'] } });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ code: 'webhook_event_type_unknown', title: 'Tipo de evento desconocido' });
    expect((await api('POST', '', { url: 'ftp://x.example/a', eventTypes: ['user.registered'] })).statusCode).toBe(400);
    expect((await api('POST', '', { url: 'https://user:pw@x.example/a', eventTypes: ['user.registered'] })).json().code).toBe('webhook_url_invalid');
    expect((await api('GET', '/nope')).statusCode).toBe(404);
    expect((await api('GET', '/event-types')).json().data).toEqual(expect.arrayContaining(['user.registered', 'payment.succeeded', 'notification.promo']));
    const ep = (await api('POST', '', { url: `${receiver.url}/gone`, eventTypes: ['user.registered'] })).json();
    expect((await api('PATCH', `/${ep.id}`, { eventTypes: ['payment.succeeded'], description: 'changed' })).json()).toMatchObject({ eventTypes: ['payment.succeeded'], description: 'changed' });
    expect((await api('DELETE', `/${ep.id}`)).statusCode).toBe(204);
    expect((await api('GET', `/${ep.id}`)).statusCode).toBe(404);
    const audited = await t.ctx.db.selectFrom('neptuno_audit_log' as never).select(['action' as never, 'actor_type' as never]).where('target_id' as never, '=', ep.id as never).execute();
    expect((audited as { action: string }[]).map((a) => a.action).sort()).toEqual(['notifications.webhook_created', 'notifications.webhook_deleted', 'notifications.webhook_updated']);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/notifications/webhooks' })).statusCode).toBe(401);

    // Production-like: private and loopback targets are refused at registration.
    for (const url of ['http://127.0.0.1:9/hook', 'http://localhost/hook', 'http://[::1]/hook', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.5/x']) {
      const res = await strict.app.inject({ method: 'POST', url: '/v1/admin/notifications/webhooks', headers: admin, payload: { url, eventTypes: ['user.registered'] } });
      expect(res.json().code, url).toBe('webhook_url_private');
    }
    expect((await strict.app.inject({ method: 'POST', url: '/v1/admin/notifications/webhooks', headers: admin, payload: { url: 'https://hooks.example.com/in', eventTypes: ['user.registered'] } })).statusCode).toBe(201);
  });
});
