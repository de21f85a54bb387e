import { describe, expect, it } from 'vitest';
import { MailTemplateRegistry } from './templates.js';
import { htmlToText } from './text.js';

const registry = () => {
  const r = new MailTemplateRegistry({ brand: 'Feria & Co', defaultLocale: 'es' });
  r.register('shop', {
    shipped: {
      es: { subject: 'Tu pedido {{order}} va en camino', html: '<p>Hola {{name}}:</p><p><a href="{{url}}">Ver el pedido</a></p>' },
      en: { subject: 'Order {{order}} is on its way', html: '<p>Hi {{name}},</p><p><a href="{{url}}">See the order</a></p>' },
    },
    receipt: {
      layout: false,
      en: { subject: 'Receipt', html: '<p>Total: {{total}}</p>', text: 'Total: {{total}} <not escaped>' },
    },
  });
  return r;
};

describe('mail templates', () => {
  it('renders each locale with the shared layout, HTML and a text part derived from it', () => {
    const data = { order: 'A-17', name: 'Ana', url: 'https://shop.example/o?id=17&t=a=b' };
    const es = registry().renderTemplate({ to: 'ana@example.com', template: 'shop.shipped', locale: 'es', data });
    expect(es.subject).toBe('Tu pedido A-17 va en camino');
    expect(es.html).toContain('<html lang="es">');
    expect(es.html).toContain('Feria &amp; Co');
    expect(es.html).toContain('Si no lo esperabas, puedes ignorarlo.');
    expect(es.text).toBe(
      'Hola Ana:\n\nVer el pedido: https://shop.example/o?id=17&t=a=b\n\n-- \nEste email lo ha enviado Feria & Co. Si no lo esperabas, puedes ignorarlo.\n',
    );
    const en = registry().renderTemplate({ to: 'ana@example.com', template: 'shop.shipped', locale: 'en', data });
    expect(en.subject).toBe('Order A-17 is on its way');
    expect(en.text).toContain('See the order: https://shop.example/o?id=17&t=a=b');
    expect(en.text).toContain('This email was sent by Feria & Co.');
  });

  it('escapes data in HTML, never in the text part, and keeps subjects on one line', () => {
    const evil = '<script>alert(1)</script> & "quotes"';
    const m = registry().renderTemplate({
      to: 'a@example.com',
      template: 'shop.shipped',
      locale: 'en',
      data: { order: 'X\r\nBcc: victim@example.com', name: evil, url: 'https://x.example/"><img src=x>' },
    });
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(m.html).not.toContain('"><img');
    expect(m.text).toContain('Hi <script>alert(1)</script> & "quotes",');
    expect(m.subject).toBe('Order X Bcc: victim@example.com is on its way');
  });

  it('uses its own text template when given, and can leave the layout out', () => {
    const m = registry().renderTemplate({ to: 'a@example.com', template: 'shop.receipt', locale: 'en', data: { total: '<5>' } });
    expect(m.html).toBe('<p>Total: &lt;5&gt;</p>');
    expect(m.text).toBe('Total: <5> <not escaped>');
  });

  it('falls back to the default locale, then to any locale the template has', () => {
    const r = registry();
    expect(r.renderTemplate({ to: 'a@example.com', template: 'shop.shipped', data: { order: '1', name: 'A', url: 'https://x' } }).subject).toMatch(/^Tu pedido/);
    expect(r.renderTemplate({ to: 'a@example.com', template: 'shop.receipt', locale: 'es', data: { total: 1 } }).subject).toBe('Receipt');
  });

  it('refuses a missing slot, an unknown template and a broken or duplicate template', () => {
    const r = registry();
    expect(() => r.renderTemplate({ to: 'a@example.com', template: 'shop.shipped', locale: 'en', data: { order: '1', name: 'A' } })).toThrow(
      /shop\.shipped.*"url" not defined/,
    );
    expect(() => r.renderTemplate({ to: 'a@example.com', template: 'shop.nope' })).toThrow(/Unknown mail template "shop.nope"/);
    expect(() => r.register('bad', { x: { en: { subject: 'x', html: '{{#if}}' } } })).toThrow(/"bad\.x" \(en\): Parse error/);
    expect(() => r.register('bad', { y: {} })).toThrow(/no locale/);
    expect(() => r.register('shop', { shipped: { en: { subject: 'x', html: 'x' } } })).toThrow(/registered twice/);
    expect(() => r.register('bad', { Upper: { en: { subject: 'x', html: 'x' } } })).toThrow(/lowercase/);
  });

  it('derives readable text from HTML', () => {
    const html = `<html><head><title>t</title><style>p{}</style></head><body>
      <h1>Title</h1><p>One
      line &amp; more</p><ul><li>a</li><li>b</li></ul><p>Write to <a href="mailto:help@example.com">help@example.com</a>.<br>Bye</p>
      <p><a href="https://x.example/a?b=1&amp;c=2">https://x.example/a?b=1&amp;c=2</a></p><p>&lt;b&gt; stays &#x27;text&#x27;</p></body></html>`;
    expect(htmlToText(html)).toBe(
      'Title\n\nOne line & more\n\n- a\n- b\n\nWrite to help@example.com.\nBye\n\nhttps://x.example/a?b=1&c=2\n\n<b> stays \'text\'',
    );
  });
});
