/**
 * Formula injection (CSV injection, OWASP): a cell starting with = + - @ or a tab / carriage
 * return is run as a formula by Excel, LibreOffice and Google Sheets when someone opens the file
 * (`=HYPERLINK("https://evil…")`, `=cmd|' /C calc'!A0`). Every cell Neptuno writes into a CSV or
 * XLSX it hands back (exports, error reports) goes through here: such cells get a leading `'`,
 * which spreadsheets show as text and never evaluate. Numbers and booleans are left as they are
 * (a negative number is data, not a formula).
 */
const DANGEROUS = /^[=+\-@\t\r]/;

export function safeCell(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return DANGEROUS.test(text) ? `'${text}` : text;
}
