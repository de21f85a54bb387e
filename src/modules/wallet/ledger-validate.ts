import { badRequest, type FieldError } from '../../core/http/problem.js';

/** Largest number of credits one movement may carry; balances stay far below 2^53. */
export const MAX_CREDITS = 1_000_000_000_000;

/**
 * Checks a service call's input the way route schemas check a request's, so a module calling
 * the service with a float, a negative or a huge number gets a 400 problem and nothing is written.
 */
export class Checks {
  readonly errors: FieldError[] = [];

  amount(value: unknown, field = 'amount', min = 1): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > MAX_CREDITS) {
      this.errors.push({ pointer: `/${field}`, code: 'type', detail: `An integer from ${min} to ${MAX_CREDITS}` });
    }
    return value as number;
  }

  text(value: unknown, field: string, max: number, optional = false): string {
    if (optional && value === undefined) return value as unknown as string;
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > max || value.includes(String.fromCharCode(0))) {
      this.errors.push({ pointer: `/${field}`, code: 'type', detail: `Text of 1 to ${max} characters` });
    }
    return value as string;
  }

  int(value: unknown, field: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.errors.push({ pointer: `/${field}`, code: 'type', detail: `An integer from ${min} to ${max}` });
    }
    return value as number;
  }

  futureDate(value: unknown, field: string): string | null {
    if (value === undefined || value === null) return null;
    const d = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
    if (!d || Number.isNaN(d.getTime()) || d.getTime() <= Date.now()) {
      this.errors.push({ pointer: `/${field}`, code: 'format', detail: 'A date in the future' });
      return null;
    }
    return d.toISOString();
  }

  metadata(value: unknown): Record<string, unknown> | null {
    if (value === undefined || value === null) return null;
    let ok = typeof value === 'object' && !Array.isArray(value);
    if (ok) {
      try {
        ok = JSON.stringify(value).length <= 8_192;
      } catch {
        ok = false;
      }
    }
    if (!ok) this.errors.push({ pointer: '/metadata', code: 'type', detail: 'A JSON object of at most 8 KiB' });
    return value as Record<string, unknown>;
  }

  done(): void {
    if (this.errors.length) throw badRequest('invalid_wallet_input', { errors: this.errors });
  }
}
