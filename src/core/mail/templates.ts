import Handlebars from 'handlebars';
import { LOCALES, type Locale } from '../i18n/index.js';
import { LAYOUT_HTML, layoutFooter, layoutText } from './layout.js';
import { htmlToText } from './text.js';
import type { MailTemplate, MailTemplates, RawMail, RenderedMail, TemplateMail } from './types.js';

type Render = (data: Record<string, unknown>) => string;
interface Compiled {
  subject: Render;
  html: Render;
  text?: Render;
}
interface Entry {
  layout: boolean;
  locales: Partial<Record<Locale, Compiled>>;
}

/** Header values must stay on one line: a newline in a subject would start a new header. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

/**
 * Every module's templates, compiled by one Handlebars environment per app (helpers and
 * partials never leak between apps in a process). Strict mode: a `{{slot}}` the data leaves
 * out throws, so a verification email can never go out with an empty link.
 */
export class MailTemplateRegistry {
  private readonly hb = Handlebars.create();
  private readonly entries = new Map<string, Entry>();
  private readonly layout: Render;

  constructor(private readonly opts: { brand: string; defaultLocale: Locale }) {
    this.layout = this.compile(LAYOUT_HTML, true);
  }

  private compile(source: string, escape: boolean): Render {
    // parse() reports syntax errors now, at start-up, rather than at the first send.
    this.hb.parse(source);
    return this.hb.compile(source, { strict: true, noEscape: !escape });
  }

  /** Registers a module's templates as `<module>.<name>`; throws on a bad template (start-up error). */
  register(module: string, templates: MailTemplates): void {
    for (const [name, template] of Object.entries(templates)) {
      const full = `${module}.${name}`;
      if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`Mail template "${full}": use lowercase letters, digits and dashes`);
      if (this.entries.has(full)) throw new Error(`Mail template "${full}" is registered twice`);
      this.entries.set(full, this.compileTemplate(full, template));
    }
  }

  private compileTemplate(full: string, template: MailTemplate): Entry {
    const locales: Entry['locales'] = {};
    for (const locale of LOCALES) {
      const source = template[locale];
      if (!source) continue;
      try {
        locales[locale] = {
          subject: this.compile(source.subject, false),
          html: this.compile(source.html, true),
          text: source.text === undefined ? undefined : this.compile(source.text, false),
        };
      } catch (err) {
        throw new Error(`Mail template "${full}" (${locale}): ${(err as Error).message}`);
      }
    }
    if (!Object.keys(locales).length) throw new Error(`Mail template "${full}" has no locale (give es and/or en)`);
    return { layout: template.layout !== false, locales };
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  renderTemplate(mail: TemplateMail): RenderedMail {
    const entry = this.entries.get(mail.template);
    if (!entry) throw new Error(`Unknown mail template "${mail.template}" (registered: ${[...this.entries.keys()].join(', ') || 'none'})`);
    const wanted = mail.locale ?? this.opts.defaultLocale;
    const locale = ([wanted, this.opts.defaultLocale, ...LOCALES] as Locale[]).find((l) => entry.locales[l])!;
    const compiled = entry.locales[locale]!;
    const data = mail.data ?? {};
    let body: string, subject: string, html: string, text: string;
    try {
      subject = oneLine(compiled.subject(data));
      body = compiled.html(data);
      text = compiled.text ? compiled.text(data) : htmlToText(body);
    } catch (err) {
      throw new Error(`Mail template "${mail.template}" (${locale}): ${(err as Error).message}`);
    }
    if (entry.layout) {
      const footer = layoutFooter(locale, this.opts.brand);
      html = this.layout({ body, subject, locale, brand: this.opts.brand, footer });
      text = layoutText(text, footer);
    } else html = body;
    return { to: mail.to, subject, html, text, ...(mail.replyTo ? { replyTo: mail.replyTo } : {}), ...(mail.headers ? { headers: { ...mail.headers } } : {}) };
  }

  renderRaw(mail: RawMail): RenderedMail {
    if (mail.html === undefined && mail.text === undefined) throw new TypeError('A raw email needs html, text or both');
    return {
      to: mail.to,
      subject: oneLine(mail.subject),
      text: mail.text ?? htmlToText(mail.html!),
      ...(mail.html !== undefined ? { html: mail.html } : {}),
      ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
      ...(mail.headers ? { headers: { ...mail.headers } } : {}),
    };
  }
}
