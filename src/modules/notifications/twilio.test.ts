import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { boolValue } from '../../core/db/dialect.js';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import { twilioSignature, verifyTwilioSignature } from './channels/twilio-signature.js';
import { admin, notificationsApp, person, send, statusOf } from './testing.js';
import { FakeTwilio } from './twilio-fake.js';

describe('Twilio request signature', () => {
  it("matches Twilio's documented example", () => {
    // The example of Twilio's "Validating requests" documentation (auth token 12345).
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    const params: [string, string][] = [
      ['CallSid', 'CA1234567890ABCDE'],
      ['Caller', '+12349013030'],
      ['Digits', '1234'],
      ['From', '+12349013030'],
      ['To', '+18005551212'],
    ];
    expect(twilioSignature('12345', url, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    expect(twilioSignature('12345', url, [...params].reverse())).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    expect(verifyTwilioSignature('12345', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', url, params)).toBe(true);
    expect(verifyTwilioSignature('12345', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', `${url}&x=1`, params)).toBe(false);
    expect(verifyTwilioSignature('54321', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', url, params)).toBe(false);
    expect(verifyTwilioSignature('12345', undefined, url, params)).toBe(false);
  });
});

/**
 * SMS and WhatsApp through a local Twilio speaking the real wire format: sends, status callbacks
 * signed as Twilio signs them (through a "proxy": the public URL is not the listening address),
 * out-of-order and forged callbacks, permanent Twilio errors and retried 429/5xx.
 */
describe.each(targets)('notifications: Twilio SMS and WhatsApp on %s', (target) => {
  let t: TestApp;
  let twilio: FakeTwilio;
  let origin: string;
  const PUBLIC = 'https://campaign.example';
  let seq = 0;
  const number = () => `+57300${process.pid % 10000}`.padEnd(11, '0') + String(seq++).padStart(2, '0');

  beforeAll(async () => {
    twilio = await FakeTwilio.start();
    t = await notificationsApp(target, {
      notifications: {
        quietHours: { enabled: false },
        channels: { inapp: { enabled: true }, sms: { enabled: true, retry: { attempts: 3, backoffMs: 20, maxBackoffMs: 100 } }, whatsapp: { enabled: true, retry: { attempts: 3, backoffMs: 20, maxBackoffMs: 100 } } },
        twilio: { accountSid: twilio.accountSid, authToken: twilio.authToken, baseUrl: twilio.url, smsFrom: '+15005550006', whatsappFrom: '+14155238886' },
      },
      // Behind a proxy: Twilio calls the public URL, the app listens elsewhere.
      root: { server: { publicUrl: PUBLIC, cors: { origins: ['http://localhost:8000'] } } },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t?.close();
    await twilio?.close();
  });

  /** A signed-in user whose phone number is verified (as auth's phone-number plugin leaves it). */
  async function withPhone() {
    const u = await person(t, { locale: 'en' });
    const phone = number();
    await t.ctx.db
      .updateTable('auth_users' as never)
      .set({ phone_number: phone, phone_number_verified: boolValue(t.ctx.dialect, true) } as never)
      .where('id' as never, '=', u.userId as never)
      .execute();
    return { ...u, phone };
  }

  const detail = async (id: string) => (await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries/${id}`, headers: admin })).json();

  it('sends an SMS and a WhatsApp message, and status callbacks move the delivery forward only', async () => {
    const u = await withPhone();
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'sms' }, channels: ['sms', 'whatsapp'] })).json().id;
    const sms = await statusOf(t, id, 'sms', 'sent');
    const wa = await statusOf(t, id, 'whatsapp', 'sent');
    const [m] = twilio.to(u.phone);
    expect(m).toMatchObject({ from: '+15005550006', statusCallback: `${PUBLIC}/v1/public/notifications/twilio/status` });
    expect(m.body).toBe('Offer: sms\nGrab sms.\nhttps://shop.example/sms');
    const [w] = twilio.to(`whatsapp:${u.phone}`);
    expect(w.from).toBe('whatsapp:+14155238886');
    expect((await detail(sms.id)).providerMessageId).toBe(m.sid);

    // Delivered, then a late "sent": the delivery stays delivered; a repeat changes nothing.
    expect(await twilio.report(m.sid, 'delivered', { via: origin })).toBe(200);
    await statusOf(t, id, 'sms', 'delivered');
    expect(await twilio.report(m.sid, 'sent', { via: origin })).toBe(200);
    expect(await twilio.report(m.sid, 'delivered', { via: origin })).toBe(200);
    expect((await detail(sms.id)).status).toBe('delivered');
    expect((await detail(sms.id)).attemptsLog.map((a: { status: string }) => a.status)).toEqual(['queued', 'sent', 'delivered']);

    // WhatsApp undelivered (63016: outside the session window): final, with the code on record.
    expect(await twilio.report(w.sid, 'undelivered', { via: origin, errorCode: 63016 })).toBe(200);
    const dead = await statusOf(t, id, 'whatsapp', 'dead');
    expect(dead.id).toBe(wa.id);
    expect((await detail(wa.id)).lastError).toContain('63016');
    expect(await twilio.report(w.sid, 'delivered', { via: origin })).toBe(200);
    expect((await detail(wa.id)).status).toBe('dead');
  });

  it('refuses a forged or altered callback and changes nothing', async () => {
    const u = await withPhone();
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'forged' }, channels: ['sms'] })).json().id;
    const d = await statusOf(t, id, 'sms', 'sent');
    const [m] = twilio.to(u.phone);
    expect(await twilio.report(m.sid, 'delivered', { via: origin, signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })).toBe(403);
    const altered = twilioSignature(twilio.authToken, `${origin}/v1/public/notifications/twilio/status`, [['MessageSid', m.sid]]);
    expect(await twilio.report(m.sid, 'delivered', { via: origin, signature: altered })).toBe(403);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/public/notifications/twilio/status',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'es' },
      payload: `MessageSid=${m.sid}&MessageStatus=delivered`,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'twilio_signature_invalid', title: 'Firma no válida' });
    expect((await detail(d.id)).status).toBe('sent');
  });

  it('does not retry a number Twilio refuses, and retries 429 and 5xx', async () => {
    const u = await withPhone();
    twilio.unsubscribed.add(u.phone);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'stop' }, channels: ['sms'] })).json().id;
    const dead = await statusOf(t, id, 'sms', 'dead');
    expect(dead.attempts).toBe(1);
    expect((await detail(dead.id)).lastError).toMatch(/^twilio 400 21610: /);
    twilio.unsubscribed.delete(u.phone);

    // An invalid number stored on the account: 21211, dead at once.
    await t.ctx.db.updateTable('auth_users' as never).set({ phone_number: '+57123' } as never).where('id' as never, '=', u.userId as never).execute();
    const bad = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'invalid' }, channels: ['sms'] })).json().id;
    expect((await detail((await statusOf(t, bad, 'sms', 'dead')).id)).lastError).toMatch(/21211/);

    const v = await withPhone();
    twilio.failNext(2, 429);
    const retried = (await send(t, { to: { userId: v.userId }, type: 'promo', data: { offer: 'later' }, channels: ['sms'] })).json().id;
    expect((await statusOf(t, retried, 'sms', 'sent')).attempts).toBe(3);
    twilio.failNext(3, 503);
    const gaveUp = (await send(t, { to: { userId: v.userId }, type: 'promo', data: { offer: 'never' }, channels: ['sms'] })).json().id;
    expect((await statusOf(t, gaveUp, 'sms', 'dead')).attempts).toBe(3);
  });

  it('reaches only users with a verified number', async () => {
    const u = await person(t);
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'nophone' }, channels: ['inapp', 'sms'] })).json().id;
    await statusOf(t, id, 'inapp', 'delivered');
    const rows = await waitFor(async () => {
      const r = await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries?notificationId=${id}`, headers: admin });
      return r.json().data as { channel: string }[];
    }, 'the deliveries');
    expect(rows.map((r) => r.channel)).toEqual(['inapp']);
  });
});

describe.each(targets)('notifications: Twilio not configured on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await notificationsApp(target, { workers: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('has no sms or whatsapp channel and answers callbacks 404', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/public/notifications/twilio/status', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'MessageSid=SM1' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('twilio_not_configured');
    expect(t.ctx.services.notifications.channels.names()).not.toContain('sms');
  });
});
