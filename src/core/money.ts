import currencyCodes from 'currency-codes';

/**
 * Money in Neptuno: an integer amount of the currency's minor unit plus an ISO 4217 code, at the
 * ISO exponent (CLP 0: 1500 is $1.500; ARS/COP/MXN/USD/EUR/BRL/PEN 2: 1000 is 10,00). Never
 * floats, never a decimal string: the minor unit is what payment providers charge and refund in.
 *
 * The exponents come from the ISO 4217 list itself (the `currency-codes` package), not from
 * `Intl`, whose CLDR data rounds some currencies differently for display (COP shows no
 * decimals in `es-CO`, yet its ISO exponent is 2 and providers count centavos).
 */

/** ISO 4217 codes with no minor unit defined ("N.A."): metals, units of account, test codes. */
const NOT_MONEY = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

/** Largest amount of minor units accepted anywhere (fits a JavaScript integer and a SQL bigint). */
export const MAX_MINOR_UNITS = Number.MAX_SAFE_INTEGER;

/**
 * True for an active ISO 4217 currency code in upper case (`'CLP'`, `'ARS'`); false for
 * lower case, unknown, or codes that are not money (`'XAU'`, `'XXX'`).
 * @example isCurrency('COP') // true
 */
export function isCurrency(code: unknown): code is string {
  return typeof code === 'string' && /^[A-Z]{3}$/.test(code) && !NOT_MONEY.has(code) && currencyCodes.code(code) !== undefined;
}

/** Throws a TypeError naming the code unless it is a currency (see isCurrency). */
export function assertCurrency(code: unknown): asserts code is string {
  if (!isCurrency(code)) throw new TypeError(`Not an ISO 4217 currency code: ${JSON.stringify(code)}`);
}

/**
 * Digits of the minor unit (the ISO 4217 exponent): CLP 0, COP 2, USD 2, KWD 3.
 * @example currencyExponent('CLP') // 0
 */
export function currencyExponent(code: string): number {
  assertCurrency(code);
  return currencyCodes.code(code)!.digits;
}

/** Every currency code `isCurrency` accepts, sorted. */
export function currencies(): string[] {
  return currencyCodes.codes().filter((c) => isCurrency(c)).sort();
}

/** True for an integer amount of minor units within ±MAX_MINOR_UNITS. */
export function isMinorUnits(amount: unknown): amount is number {
  return typeof amount === 'number' && Number.isSafeInteger(amount);
}

/**
 * Converts a decimal amount in major units, as text (`'10.50'`), to minor units, exactly (no
 * float arithmetic). More decimals than the currency has is an error, not a rounding.
 * @example toMinorUnits('10.5', 'ARS') // 1050
 * @example toMinorUnits('1500', 'CLP') // 1500
 */
export function toMinorUnits(major: string, currency: string): number {
  const exp = currencyExponent(currency);
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(major.trim());
  if (!m) throw new TypeError(`Not a decimal amount: ${JSON.stringify(major)}`);
  const [, sign, whole, frac = ''] = m;
  if (frac.length > exp) throw new RangeError(`${currency} has ${exp} decimal digit(s); got ${JSON.stringify(major)}`);
  const value = Number(whole + frac.padEnd(exp, '0')) * (sign ? -1 : 1);
  if (!Number.isSafeInteger(value)) throw new RangeError(`Amount too large: ${major}`);
  return value;
}

/**
 * The amount as a decimal string in major units, exact: `fromMinorUnits(1050, 'ARS')` is `'10.50'`.
 * For display use formatMoney; this is for providers whose APIs take major units.
 */
export function fromMinorUnits(amount: number, currency: string): string {
  if (!isMinorUnits(amount)) throw new TypeError(`Not an integer amount of minor units: ${amount}`);
  const exp = currencyExponent(currency);
  const digits = Math.abs(amount).toString().padStart(exp + 1, '0');
  const whole = exp ? digits.slice(0, -exp) : digits;
  const frac = exp ? `.${digits.slice(-exp)}` : '';
  return `${amount < 0 ? '-' : ''}${whole}${frac}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * Formats minor units for people, in the locale's conventions, showing exactly the ISO number of
 * decimals (a price of COP 1.500,00 is shown with its centavos; CLP never has any).
 * @example formatMoney(1050, 'ARS', 'es-AR') // '$ 10,50'
 * @example formatMoney(150000, 'CLP', 'es-CL') // '$150.000'
 * @example formatMoney(1999, 'USD', 'en') // '$19.99'
 */
export function formatMoney(amount: number, currency: string, locale = 'en'): string {
  if (!isMinorUnits(amount)) throw new TypeError(`Not an integer amount of minor units: ${amount}`);
  const exp = currencyExponent(currency);
  const key = `${locale}|${currency}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: exp, maximumFractionDigits: exp });
    // A few hundred (locale, currency) pairs at most in practice; bounded anyway.
    if (formatters.size > 1000) formatters.clear();
    formatters.set(key, f);
  }
  // Exact decimal text in, so no float ever rounds a large amount ('string' input: Node ≥ 19 / ICU).
  return f.format(fromMinorUnits(amount, currency) as unknown as number);
}
