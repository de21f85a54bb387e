/**
 * Currency checks and price formatting for the catalog, until the kernel's money helper
 * (core/money.ts, owned by the wallet) lands and replaces this file. Node's Intl knows which
 * ISO 4217 codes exist; its display digits come from CLDR, which differs from the ISO exponent
 * for a few currencies (COP shows no decimals, yet providers count centavos): those are fixed here.
 */
const KNOWN = new Set(Intl.supportedValuesOf('currency'));
const ISO_EXPONENT: Record<string, number> = { COP: 2, HUF: 2, TWD: 2, IDR: 2, PKR: 2, IRR: 2, RSD: 2, SYP: 2, LBP: 2, IQD: 3 };

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN.has(code);
}

function exponent(currency: string): number {
  return ISO_EXPONENT[currency] ?? new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Minor units for people: formatPrice(2900, 'USD', 'en') → '$29.00', exactly the ISO decimals. */
export function formatPrice(amountMinor: number, currency: string, locale: string): string {
  const exp = exponent(currency);
  const nf = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: exp, maximumFractionDigits: exp });
  return nf.format(amountMinor / 10 ** exp);
}
