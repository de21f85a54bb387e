import type { Locale } from '../i18n/index.js';

/**
 * The shared layout every template is wrapped in (unless it says `layout: false`): the brand
 * (`mail.brand`) on top, the body, a footer in the email's language. Inline styles and a table,
 * because that is what mail clients render reliably. Handlebars sources: `body` is the already
 * rendered (and escaped) template, hence the triple braces; everything else is escaped.
 */
export const LAYOUT_HTML = `<!doctype html>
<html lang="{{locale}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{subject}}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7">
<tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1f2933">
<tr><td style="padding:20px 32px;border-bottom:1px solid #e4e7eb;font-size:18px;font-weight:bold">{{brand}}</td></tr>
<tr><td style="padding:24px 32px">{{{body}}}</td></tr>
<tr><td style="padding:16px 32px;border-top:1px solid #e4e7eb;font-size:13px;color:#616e7c">{{footer}}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>`;

/** The text part's frame: the body, then the footer after a signature separator. */
export const layoutText = (body: string, footer: string) => `${body.trim()}\n\n-- \n${footer}\n`;

const FOOTER: Record<Locale, (brand: string) => string> = {
  es: (brand) => `Este email lo ha enviado ${brand}. Si no lo esperabas, puedes ignorarlo.`,
  en: (brand) => `This email was sent by ${brand}. If you were not expecting it, you can ignore it.`,
};

export const layoutFooter = (locale: Locale, brand: string) => FOOTER[locale](brand);
