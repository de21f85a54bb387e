import Handlebars from 'handlebars';
import { LOCALES, type Locale } from '../../core/i18n/index.js';
import { formatMoney } from '../../core/money.js';
import type { DeliveryContent } from './channels/contract.js';
import type { NotificationTypeConfig, TemplateSource } from './config.js';

type Render = (data: Record<string, unknown>, opts?: { data?: Record<string, unknown> }) => string;
interface CompiledLocale {
  title: Render;
  body: Render;
  url?: Render;
  subject?: Render;
  html?: Render;
}
type CompiledTemplates = Partial<Record<Locale, CompiledLocale>>;

/** A declared type with its defaults filled in. */
export interface NotificationType extends NotificationTypeConfig {
  name: string;
  channels: string[];
  optOut: boolean;
  critical: boolean;
}

interface Entry {
  def: NotificationType;
  main: CompiledTemplates;
  digest?: CompiledTemplates;
  digestKey?: Render;
}

/** Thrown when data does not fill a template (a `{{slot}}` left out): 422 at the call site. */
export class TemplateDataError extends Error {}

const escape = (s: string) => Handlebars.Utils.escapeExpression(s);

/**
 * Notification types (neptuno.yaml `modules.notifications.types`, plus `defineType` from
 * modules), with their Handlebars templates compiled once. Strict mode, as the kernel mailer:
 * a slot the data leaves out is an error at send time, never an empty message.
 */
export class TypeRegistry {
  private readonly hb = Handlebars.create();
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly defaultLocale: Locale) {
    // {{money amount currency}}: minor units shown the reader's way (COP 1.234,50 in es, $12.50 in en).
    this.hb.registerHelper('money', (amount: unknown, currency: unknown, options: { data?: { locale?: string } }) => {
      if (typeof amount !== 'number' || typeof currency !== 'string') return `${String(amount)} ${String(currency)}`;
      try {
        return formatMoney(amount, currency, options.data?.locale ?? 'en');
      } catch {
        return `${amount} ${currency}`;
      }
    });
  }

  define(name: string, def: NotificationTypeConfig): void {
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(name)) throw new Error(`Notification type "${name}": use lowercase letters, digits, _ and -`);
    const full: NotificationType = { ...def, name, channels: def.channels ?? ['inapp'], optOut: def.optOut ?? true, critical: def.critical ?? false };
    try {
      this.entries.set(name, {
        def: full,
        main: this.compileAll(def.templates),
        digest: def.digest ? this.compileAll(def.digest.templates) : undefined,
        digestKey: def.digest?.key ? this.compile(def.digest.key) : undefined,
      });
    } catch (err) {
      throw new Error(`Notification type "${name}": ${(err as Error).message}`);
    }
  }

  get(name: string): NotificationType | undefined {
    return this.entries.get(name)?.def;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  private compile(source: string): Render {
    this.hb.parse(source);
    // Plain text: title, body and url are not HTML (email html is compiled with escaping below).
    return this.hb.compile(source, { strict: true, noEscape: true });
  }

  private compileAll(templates: Partial<Record<Locale, TemplateSource>>): CompiledTemplates {
    const out: CompiledTemplates = {};
    for (const locale of LOCALES) {
      const t = templates[locale];
      if (!t) continue;
      out[locale] = {
        title: this.compile(t.title),
        body: this.compile(t.body),
        url: t.url ? this.compile(t.url) : undefined,
        subject: t.subject ? this.compile(t.subject) : undefined,
        html: t.html ? (this.hb.parse(t.html), this.hb.compile(t.html, { strict: true })) : undefined,
      };
    }
    if (!Object.keys(out).length) throw new Error('templates need es and/or en');
    return out;
  }

  /** The digest key of a send (empty when the type is not digested or has no key). */
  digestKey(type: string, data: Record<string, unknown>): string {
    const render = this.entries.get(type)?.digestKey;
    if (!render) return '';
    try {
      return render(data).slice(0, 200);
    } catch (err) {
      throw new TemplateDataError((err as Error).message);
    }
  }

  /**
   * Renders a type for a locale (falling back to the default locale, then any). `digest` picks
   * the digest templates. Throws TemplateDataError when the data leaves a slot empty.
   */
  render(type: string, locale: Locale, data: Record<string, unknown>, digest = false): DeliveryContent {
    const entry = this.entries.get(type);
    if (!entry) throw new Error(`Unknown notification type "${type}"`);
    const templates = digest && entry.digest ? entry.digest : entry.main;
    const chosen = ([locale, this.defaultLocale, ...LOCALES] as Locale[]).find((l) => templates[l])!;
    const t = templates[chosen]!;
    const opts = { data: { locale: chosen } };
    try {
      const title = oneLine(t.title(data, opts));
      const body = t.body(data, opts);
      const url = t.url ? t.url(data, opts).trim() || null : null;
      const subject = oneLine(t.subject ? t.subject(data, opts) : title);
      const html = t.html
        ? t.html(data, opts)
        : `<p>${escape(body).replace(/\n/g, '<br>')}</p>` + (url ? `<p><a href="${escape(url)}">${escape(title)}</a></p>` : '');
      return { title, body, url, subject, html };
    } catch (err) {
      throw new TemplateDataError((err as Error).message);
    }
  }

  /** Renders every locale once, so a send with data that cannot fill the templates fails at the call site. */
  check(type: string, data: Record<string, unknown>): void {
    const entry = this.entries.get(type)!;
    for (const locale of Object.keys(entry.main) as Locale[]) this.render(type, locale, data);
    this.digestKey(type, data);
  }
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();
