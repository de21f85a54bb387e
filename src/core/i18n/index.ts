import { es } from './es.js';
import { en } from './en.js';

export type Locale = 'es' | 'en';
/** code -> text; problem titles use `<code>` and details `<code>.detail`, with {param} slots filled from params. */
export type Messages = Record<string, string>;

export const LOCALES: readonly Locale[] = ['es', 'en'];

/** Message catalogs; modules add theirs with `extend`. */
export class I18n {
  private readonly catalogs: Record<Locale, Messages> = { es: { ...es }, en: { ...en } };

  constructor(readonly defaultLocale: Locale = 'es') {}

  extend(messages: Partial<Record<Locale, Messages>>): void {
    for (const locale of LOCALES) Object.assign(this.catalogs[locale], messages[locale]);
  }

  /** Picks es or en from an Accept-Language header (quality values honoured), else the default. */
  negotiate(header: string | undefined): Locale {
    if (!header) return this.defaultLocale;
    let best: Locale | null = null;
    let bestQ = -1;
    for (const part of header.split(',')) {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.split('=')[1] ?? 1);
      const lang = tag.split('-')[0] as Locale;
      if (LOCALES.includes(lang) && q > bestQ) {
        best = lang;
        bestQ = q;
      }
    }
    return best ?? this.defaultLocale;
  }

  has(locale: Locale, key: string): boolean {
    return key in this.catalogs[locale];
  }

  /** Translated text for key, or undefined when neither the locale nor the default has it. */
  t(locale: Locale, key: string, params?: Record<string, string | number>): string | undefined {
    const text = this.catalogs[locale][key] ?? this.catalogs[this.defaultLocale][key] ?? this.catalogs.en[key];
    if (text === undefined) return undefined;
    return params ? text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : text;
  }
}
