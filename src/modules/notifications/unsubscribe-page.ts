import Handlebars from 'handlebars';
import type { Locale } from '../../core/i18n/index.js';

const text = {
  es: { confirm: 'Dejar de recibir avisos de tipo «{type}» por este medio', button: 'Darme de baja', done: 'Listo: ya no recibirás avisos de tipo «{type}» por este medio.' },
  en: { confirm: 'Stop receiving “{type}” notifications this way', button: 'Unsubscribe', done: 'Done: you will no longer receive “{type}” notifications this way.' },
};

const esc = (s: string) => Handlebars.Utils.escapeExpression(s);

/** The small HTML page behind an unsubscribe link: a confirm button (GET), then the answer (POST). */
export function unsubscribePage(locale: Locale, type: string, token: string, done: boolean): string {
  const t = text[locale];
  const body = done
    ? `<p>${esc(t.done.replace('{type}', type))}</p>`
    : `<form method="post" action="?token=${encodeURIComponent(token)}"><p>${esc(t.confirm.replace('{type}', type))}</p><button type="submit">${esc(t.button)}</button></form>`;
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${esc(t.button)}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">${body}</body></html>`;
}
