import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { TEST_ORIGIN } from '../../testing/auth.js';
import { startTestSmtp, type TestSmtp } from '../../testing/smtp.js';
import { targets } from '../../testing/targets.js';
import { notificationsApp, person, send, statusOf } from './testing.js';

/** RFC 8058: notification emails carry List-Unsubscribe + List-Unsubscribe-Post, and the one-click POST works. */
describe.each(targets)('notifications: List-Unsubscribe on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await notificationsApp(target, { smtpUrl: smtp.url, notifications: { quietHours: { enabled: false } } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const header = (raw: string, name: string) => {
    const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
    return new RegExp(`^${name}: (.*)$`, 'mi').exec(head)?.[1] ?? null;
  };

  it('sets the one-click headers on optional types, and a mail client POST switches the type off', async () => {
    const u = await person(t, { locale: 'en' });
    const id = (await send(t, { to: { userId: u.userId }, type: 'promo', data: { offer: 'rfc8058' }, channels: ['email'] })).json().id;
    const mail = await smtp.waitFor(u.email, /rfc8058/);
    expect(header(mail.raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const list = header(mail.raw, 'List-Unsubscribe')!;
    expect(list).toMatch(/^<http:\/\/localhost:8000\/v1\/public\/notifications\/unsubscribe\?token=[^>]+>$/);
    await statusOf(t, id, 'email', 'sent');

    // What a mail client does (RFC 8058 §3.2): POST the URI with the one-click body, no cookies.
    const url = new URL(list.slice(1, -1));
    const res = await t.app.inject({
      method: 'POST',
      url: url.pathname + url.search,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(res.statusCode).toBe(200);
    const prefs = (await t.app.inject({ method: 'GET', url: '/v1/notifications/preferences', headers: { cookie: u.cookie, origin: TEST_ORIGIN } })).json().data;
    expect(prefs.find((p: { type: string }) => p.type === 'promo').channels.email).toBe(false);
  });

  it('leaves mandatory types without them', async () => {
    const u = await person(t, { locale: 'en' });
    await send(t, { to: { userId: u.userId }, type: 'security', data: { place: 'Bogotá' }, channels: ['email'] });
    const mail = await smtp.waitFor(u.email, /New sign-in/);
    expect(header(mail.raw, 'List-Unsubscribe')).toBeNull();
    expect(header(mail.raw, 'List-Unsubscribe-Post')).toBeNull();
  });
});
