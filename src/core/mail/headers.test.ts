import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { startTestSmtp, type TestSmtp } from '../../testing/smtp.js';
import { waitFor } from '../../testing/wait.js';
import { readOutbox } from '../drivers/mail/outbox.js';
import { checkMailHeaders } from './service.js';

const news = defineModule({
  name: 'news',
  mail: { templates: { weekly: { en: { subject: 'This week', html: '<p>Hello {{name}}</p>' } } } },
});

const unsubscribe = {
  'List-Unsubscribe': '<https://app.example/unsubscribe?token=abc>',
  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
};

describe('mail header fields', () => {
  it('accepts extension headers and refuses injections and the fields the mailer writes', () => {
    expect(() => checkMailHeaders(undefined)).not.toThrow();
    expect(() => checkMailHeaders(unsubscribe)).not.toThrow();
    expect(() => checkMailHeaders({ 'X-Campaign': 'spring-2027' })).not.toThrow();
    for (const bad of [
      { 'X-Evil': 'a\r\nBcc: victim@example.com' },
      { 'X-Evil': 'a\nb' },
      { 'Bad Name': 'x' },
      { 'X:Colon': 'x' },
      { Bcc: 'victim@example.com' },
      { subject: 'other' },
      { 'Content-Type': 'text/plain' },
      { 'X-Long': 'x'.repeat(901) },
      { 'X-Num': 5 },
      [],
    ])
      expect(() => checkMailHeaders(bad), JSON.stringify(bad)).toThrow(TypeError);
  });
});

describe.each(targets)('ctx.mail headers on %s', (target) => {
  let smtp: TestSmtp;
  let viaSmtp: TestApp;
  let viaOutbox: TestApp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    viaSmtp = await createTestApp({ target, modules: [news], workers: true, config: { mail: { url: smtp.url } } });
    viaOutbox = await createTestApp({ target, modules: [news], workers: true });
  });
  afterAll(async () => {
    await viaSmtp?.close();
    await viaOutbox?.close();
    await smtp?.close();
  });

  it('sends them over SMTP as header fields of the message', async () => {
    const to = `headers.${process.pid}.${target.name}@example.com`;
    await viaSmtp.ctx.mail.send({ to, template: 'news.weekly', locale: 'en', data: { name: 'Ana' }, headers: unsubscribe });
    await viaSmtp.ctx.mail.sendNow({ to: `raw.${to}`, subject: 'Raw', text: 'hi', headers: { 'X-Campaign': 'spring' } });
    const mail = await smtp.waitFor(to);
    const head = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
    expect(head).toMatch(/^List-Unsubscribe: <https:\/\/app\.example\/unsubscribe\?token=abc>$/m);
    expect(head).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect((await smtp.waitFor(`raw.${to}`)).raw).toMatch(/^X-Campaign: spring$/m);
  });

  it('keeps them in the development outbox, and refuses a bad one at the call site', async () => {
    const to = `outbox.${process.pid}.${target.name}@example.com`;
    await viaOutbox.ctx.mail.send({ to, template: 'news.weekly', locale: 'en', data: { name: 'Ana' }, headers: unsubscribe });
    const [entry] = await waitFor(async () => {
      const rows = await readOutbox(viaOutbox.ctx.db, { to });
      return rows.length ? rows : null;
    }, 'the outbox row');
    expect(entry.headers).toEqual(unsubscribe);
    await viaOutbox.ctx.mail.send({ to: `plain.${to}`, subject: 'No headers', text: 'x' });
    const [plain] = await waitFor(async () => {
      const rows = await readOutbox(viaOutbox.ctx.db, { to: `plain.${to}` });
      return rows.length ? rows : null;
    }, 'the plain row');
    expect(plain.headers).toEqual({});
    await expect(viaOutbox.ctx.mail.send({ to, subject: 'x', text: 'x', headers: { 'X-A': 'a\r\nBcc: b@example.com' } })).rejects.toThrow(TypeError);
    expect(() => viaOutbox.ctx.mail.render({ to, subject: 'x', text: 'x', headers: { To: 'b@example.com' } })).toThrow(/written by the mailer/);
  });
});
