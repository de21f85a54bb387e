import { describe, expect, it } from 'vitest';
import { assertCurrency, currencies, currencyExponent, formatMoney, fromMinorUnits, isCurrency, isMinorUnits, toMinorUnits } from './money.js';

describe('money', () => {
  it('knows ISO 4217 exponents, not display conventions', () => {
    expect(currencyExponent('CLP')).toBe(0);
    for (const c of ['COP', 'ARS', 'MXN', 'USD', 'EUR', 'BRL', 'PEN']) expect(currencyExponent(c)).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(currencies()).toContain('COP');
    expect(currencies()).not.toContain('XAU');
  });

  it('validates currency codes: upper-case ISO codes that are money', () => {
    expect(isCurrency('ARS')).toBe(true);
    for (const bad of ['ars', 'AR', 'ARSS', 'ZZZ', 'XAU', 'XXX', '', null, 1, {}]) expect(isCurrency(bad)).toBe(false);
    expect(() => assertCurrency('usd')).toThrow(/ISO 4217/);
    expect(() => currencyExponent('ZZZ')).toThrow(TypeError);
  });

  it('converts between major and minor units exactly', () => {
    expect(toMinorUnits('10.5', 'ARS')).toBe(1050);
    expect(toMinorUnits('0.07', 'USD')).toBe(7);
    expect(toMinorUnits('1500', 'CLP')).toBe(1500);
    expect(toMinorUnits('-2.5', 'EUR')).toBe(-250);
    expect(() => toMinorUnits('1.5', 'CLP')).toThrow(RangeError);
    expect(() => toMinorUnits('1.005', 'USD')).toThrow(RangeError);
    expect(() => toMinorUnits('1e3', 'USD')).toThrow(TypeError);
    expect(() => toMinorUnits('99999999999999999', 'USD')).toThrow(RangeError);
    expect(fromMinorUnits(1050, 'ARS')).toBe('10.50');
    expect(fromMinorUnits(5, 'USD')).toBe('0.05');
    expect(fromMinorUnits(-1234, 'KWD')).toBe('-1.234');
    expect(fromMinorUnits(150000, 'CLP')).toBe('150000');
    expect(isMinorUnits(1.5)).toBe(false);
    expect(isMinorUnits(2 ** 53)).toBe(false);
    expect(() => fromMinorUnits(1.5, 'USD')).toThrow(TypeError);
  });

  it('formats with Intl.NumberFormat at the ISO number of decimals, exactly for large amounts', () => {
    // Intl's separators (and the narrow no-break spaces some locales use) vary by ICU version:
    // compare with the runtime's own formatting of the exact decimal.
    const intl = (value: string, currency: string, locale: string, digits: number) =>
      new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value as unknown as number);
    expect(formatMoney(1050, 'ARS', 'es-AR')).toBe(intl('10.50', 'ARS', 'es-AR', 2));
    expect(formatMoney(150000, 'CLP', 'es-CL')).toBe(intl('150000', 'CLP', 'es-CL', 0));
    expect(formatMoney(1999, 'USD', 'en')).toBe('$19.99');
    expect(formatMoney(150000, 'COP', 'es-CO')).toMatch(/1\.500,00/);
    expect(formatMoney(150000, 'CLP', 'es-CL')).toMatch(/150\.000$/);
    expect(formatMoney(9_007_199_254_740_991, 'USD', 'en')).toBe('$90,071,992,547,409.91');
    expect(formatMoney(-5, 'USD')).toBe('-$0.05');
    expect(() => formatMoney(10.5, 'USD')).toThrow(TypeError);
    expect(() => formatMoney(10, 'usd')).toThrow(TypeError);
  });
});
