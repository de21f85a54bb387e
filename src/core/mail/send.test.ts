import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { startTestSmtp, type TestSmtp } from '../../testing/smtp.js';
import type { MailRequest } from './types.js';
import { waitFor as until } from '../../testing/wait.js';

/** A module that registers templates and sends from a route, as any user module would. */
const shop = defineModule({
  name: 'shop',
  mail: {
    templates: {
      shipped: {
        es: { subject: 'Tu pedido {{order}} va en camino', html: '<p>Hola {{name}}:</p><p><a href="{{url}}">Ver el pedido</a></p>' },
        en: { subject: 'Order {{order}} is on its way', html: '<p>Hi {{name}},</p><p><a href="{{url}}">See the order</a></p>' },
      },
    },
  },
  publicRoutes: async (app, ctx) => {
    app.post('/notify', async (request) => ({ jobId: await ctx.mail.send(request.body as MailRequest) }));
  },
});

let seq = 0;
const address = (label: string) => `${label}.${process.pid}.${seq++}@example.com`;

describe.each(targets)('ctx.mail over real SMTP on %s', (target) => {
  let t: TestApp;
  let smtp: TestSmtp;
  let release: (() => void) | null = null;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp({
      target,
      modules: [shop],
      workers: true,
      // A short backoff keeps the retry cases quick; nothing below depends on how long it is.
      config: { mail: { url: smtp.url, from: 'Tienda <shop@neptuno.test>', brand: 'Tienda & Co', attempts: 3, backoffMs: 20 } },
    });
  });
  afterEach(() => {
    release?.();
    release = null;
    smtp.failNext(0);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const notify = (body: MailRequest) => t.app.inject({ method: 'POST', url: '/v1/public/shop/notify', payload: body });

  it('sends a template in Spanish and in English, HTML and text, data escaped in HTML only', async () => {
    const url = 'https://shop.example/orders/17?token=a=b&lang=es';
    const name = '<b>Ana & "Co"</b>';
    for (const locale of ['es', 'en'] as const) {
      const to = address(locale);
      const res = await notify({ to, template: 'shop.shipped', locale, data: { order: 'A-17', name, url } });
      expect(res.statusCode).toBe(200);
      const mail = await smtp.waitFor(to);
      expect(mail.from).toBe('shop@neptuno.test');
      expect(mail.subject).toBe(locale === 'es' ? 'Tu pedido A-17 va en camino' : 'Order A-17 is on its way');
      expect(mail.text).toContain(locale === 'es' ? `Hola ${name}:` : `Hi ${name},`);
      expect(mail.text).toContain(locale === 'es' ? `Ver el pedido: ${url}` : `See the order: ${url}`);
      expect(mail.link).toBe(url);
      expect(mail.html).toContain(`<html lang="${locale}">`);
      expect(mail.html).toContain('Tienda &amp; Co');
      expect(mail.html).toContain('&lt;b&gt;Ana &amp; &quot;Co&quot;&lt;/b&gt;');
      expect(mail.html).not.toContain('<b>Ana');
    }
  });

  it('sends a raw email: text derived from its HTML, or text alone', async () => {
    const to = address('raw');
    await notify({ to, subject: 'Export ready', html: '<p>Your export: <a href="https://x.example/e.csv">download</a></p>' });
    await notify({ to, subject: 'Plain only', text: 'Just text, ñandú.' });
    const a = await smtp.waitFor(to, /Export ready/);
    expect(a.text).toBe('Your export: download: https://x.example/e.csv');
    expect(a.html).toContain('<a href="https://x.example/e.csv">');
    const b = await smtp.waitFor(to, /Plain only/);
    expect(b.text).toBe('Just text, ñandú.');
    expect(b.html).toBeNull();
  });

  it('refuses a bad address, an unknown template or a missing slot at the call site, queueing nothing', async () => {
    const before = await t.ctx.queue.counts();
    expect(() => t.ctx.mail.prepare({ to: 'a@example.com\r\nBcc: x@example.com', subject: 's', text: 't' })).toThrow(/Not one email address/);
    await expect(t.ctx.mail.send({ to: 'a@example.com', template: 'shop.nope' })).rejects.toThrow(/Unknown mail template/);
    await expect(t.ctx.mail.send({ to: 'a@example.com', template: 'shop.shipped', data: { order: 1 } })).rejects.toThrow(/not defined/);
    expect(await t.ctx.queue.counts()).toEqual(before);
  });

  it('inside ctx.tx, queues the email with the transaction: sent if it commits, never if it rolls back', async () => {
    const to = address('tx');
    await t.ctx.tx(async () => {
      await t.ctx.mail.send({ to, subject: 'Committed', text: 'Yes.' });
    });
    await expect(
      t.ctx.tx(async () => {
        await t.ctx.mail.send({ to, subject: 'Rolled back', text: 'No.' });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await t.ctx.tx(async (trx) => {
      const job = t.ctx.mail.prepare({ to, subject: 'Via trx.enqueue', text: 'Yes.' });
      trx.enqueue(job.name, job.payload, job.opts);
    });
    expect((await smtp.waitFor(to, /Committed/)).text).toBe('Yes.');
    await smtp.waitFor(to, /Via trx\.enqueue/);
    const { data } = await t.ctx.queue.list({ limit: 100 });
    const subjects = data.filter((j) => (j.payload as { to?: string }).to === to).map((j) => (j.payload as { subject: string }).subject);
    expect(subjects.sort()).toEqual(['Committed', 'Via trx.enqueue']);
  });

  it('answers the request while the SMTP server is stuck, and delivers once it answers', async () => {
    release = smtp.hold();
    const to = address('slow');
    const res = await notify({ to, subject: 'Slow server', text: 'Eventually.' });
    expect(res.statusCode).toBe(200);
    const { jobId } = res.json() as { jobId: string };
    // The request is answered and the server has accepted nothing yet.
    await until(() => smtp.sessions() > 0 && smtp.messages.every((m) => !m.to.includes(to)), 'the send to start');
    expect((await t.ctx.queue.get(jobId))?.state).not.toBe('completed');
    release();
    release = null;
    expect((await smtp.waitFor(to)).subject).toBe('Slow server');
    await until(async () => (await t.ctx.queue.get(jobId))?.state === 'completed', 'the job to complete');
  });

  it('retries a send the server refuses, with backoff, until it goes through', async () => {
    smtp.failNext(2);
    const to = address('retry');
    const res = await notify({ to, subject: 'Third time lucky', text: 'Hello.' });
    const { jobId } = res.json() as { jobId: string };
    expect((await smtp.waitFor(to)).subject).toBe('Third time lucky');
    const job = await until(async () => {
      const j = await t.ctx.queue.get(jobId);
      return j?.state === 'completed' ? j : null;
    }, 'the job to complete');
    expect(job).toMatchObject({ name: 'core.mail.send', attempts: 3, maxAttempts: 3 });
    expect(smtp.messages.filter((m) => m.to.includes(to))).toHaveLength(1);
  });

  it('moves an email the server keeps refusing to the dead-letter list, from where it can be retried', async () => {
    smtp.failNext(3);
    const to = address('dead');
    const { jobId } = (await notify({ to, subject: 'Never', text: 'Refused.' })).json() as { jobId: string };
    const dead = await until(async () => {
      const j = await t.ctx.queue.get(jobId);
      return j?.state === 'dead' ? j : null;
    }, 'the job to die');
    expect(dead.lastError).toMatch(/451/);
    expect(smtp.messages.some((m) => m.to.includes(to))).toBe(false);
    expect(await t.ctx.queue.retry(jobId)).toBe(true);
    expect((await smtp.waitFor(to)).subject).toBe('Never');
  });
});
