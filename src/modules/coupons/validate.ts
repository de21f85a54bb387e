import { badRequest, type FieldError } from '../../core/http/problem.js';
import { CODE_PATTERN, isKnownCurrency, normalizeCode } from './codes.js';
import { parseDateTime } from '../../core/http/datetime.js';
import { COUPON_TYPES, type CouponType } from './schema.js';

/** Admin input for a new coupon. Omitted `code`: one is generated. */
export interface CouponInput {
  code?: string;
  /** `template`: only issued as personal reward codes (grantReward), never redeemed by its own code. */
  kind?: 'code' | 'template';
  type: CouponType;
  value?: number | null;
  currency?: string | null;
  itemKey?: string | null;
  description?: string | null;
  /** 1: single-use. Null/omitted: unlimited. */
  maxRedemptions?: number | null;
  /** Null: unlimited; omitted: the configured default (1). */
  perUserLimit?: number | null;
  startsAt?: string | null;
  endsAt?: string | null;
  tenantId?: string | null;
  active?: boolean;
}

/** What an admin may change later. Type, value and code are fixed once created: make a new coupon. */
export interface CouponPatch {
  active?: boolean;
  description?: string | null;
  maxRedemptions?: number | null;
  perUserLimit?: number | null;
  startsAt?: string | null;
  endsAt?: string | null;
  tenantId?: string | null;
}

export const MAX_VALUE = 1_000_000_000;

/** The normalized, checked values to store. */
export interface CheckedValue {
  value: number | null;
  currency: string | null;
  itemKey: string | null;
}

const err = (errors: FieldError[], field: string, code: string, detail: string) => errors.push({ pointer: `/body/${field}`, code, detail });

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Value rules per type: percentage 1-100, fixed amount in minor units with an ISO currency, credits, free item key. */
export function checkValue(input: Pick<CouponInput, 'type' | 'value' | 'currency' | 'itemKey'>, errors: FieldError[]): CheckedValue {
  const { type } = input;
  const value = input.value ?? null;
  const currency = input.currency ? input.currency.trim().toUpperCase() : null;
  const itemKey = input.itemKey ? input.itemKey.trim() : null;
  if (!COUPON_TYPES.includes(type)) err(errors, 'type', 'enum', `Must be one of ${COUPON_TYPES.join(', ')}`);
  if (type === 'free_item') {
    if (!itemKey) err(errors, 'itemKey', 'required', 'A free_item coupon needs itemKey');
    else if (!/^[\w.:-]{1,100}$/.test(itemKey)) err(errors, 'itemKey', 'pattern', 'Letters, digits, _ . : - (1-100)');
    if (value !== null) err(errors, 'value', 'not_allowed', 'A free_item coupon has no value');
  } else if (value === null) {
    err(errors, 'value', 'required', `A ${type} coupon needs value`);
  } else if (!isInt(value)) {
    err(errors, 'value', 'type', 'Must be an integer');
  } else if (type === 'percentage' && (value < 1 || value > 100)) {
    err(errors, 'value', value < 1 ? 'minimum' : 'maximum', 'A percentage is between 1 and 100');
  } else if (value < 1) {
    err(errors, 'value', 'minimum', 'Must be at least 1');
  } else if (value > MAX_VALUE) {
    err(errors, 'value', 'maximum', `Must be at most ${MAX_VALUE}`);
  }
  if (type === 'fixed_amount') {
    if (!currency) err(errors, 'currency', 'required', 'A fixed_amount coupon needs an ISO 4217 currency (ARS, COP, USD…)');
    else if (!isKnownCurrency(currency)) err(errors, 'currency', 'unknown_currency', 'Not an ISO 4217 currency code');
  } else if (currency) {
    err(errors, 'currency', 'not_allowed', 'Only fixed_amount coupons have a currency');
  }
  if (type !== 'free_item' && itemKey) err(errors, 'itemKey', 'not_allowed', 'Only free_item coupons have itemKey');
  return { value: type === 'free_item' ? null : value, currency: type === 'fixed_amount' ? currency : null, itemKey: type === 'free_item' ? itemKey : null };
}

function checkDate(field: string, value: string | null | undefined, errors: FieldError[]): string | null | undefined {
  if (value === undefined || value === null) return value;
  const date = parseDateTime(value);
  if (!date) {
    err(errors, field, 'format', 'Must be an ISO 8601 date-time, years 1000-9999');
    return undefined;
  }
  return date.toISOString();
}

/** Limits and window shared by create and patch; `current` fills what a patch leaves out. */
export function checkLimitsAndWindow(
  input: Pick<CouponInput, 'maxRedemptions' | 'perUserLimit' | 'startsAt' | 'endsAt'>,
  current: { startsAt: string | null; endsAt: string | null } | null,
  errors: FieldError[],
): { startsAt: string | null | undefined; endsAt: string | null | undefined } {
  for (const field of ['maxRedemptions', 'perUserLimit'] as const) {
    const v = input[field];
    if (v === undefined || v === null) continue;
    if (!isInt(v)) err(errors, field, 'type', 'Must be an integer');
    else if (v < 1) err(errors, field, 'minimum', 'Must be at least 1 (null: unlimited)');
    else if (v > MAX_VALUE) err(errors, field, 'maximum', `Must be at most ${MAX_VALUE}`);
  }
  const startsAt = checkDate('startsAt', input.startsAt, errors);
  const endsAt = checkDate('endsAt', input.endsAt, errors);
  const start = startsAt === undefined ? current?.startsAt ?? null : startsAt;
  const end = endsAt === undefined ? current?.endsAt ?? null : endsAt;
  if (start && end && Date.parse(end) <= Date.parse(start)) err(errors, 'endsAt', 'after_starts_at', 'endsAt must be after startsAt');
  return { startsAt, endsAt };
}

/** Normalizes an admin-chosen code, or records why it cannot be one. */
export function checkCode(code: string, errors: FieldError[]): string {
  const normalized = normalizeCode(code);
  if (!CODE_PATTERN.test(normalized)) err(errors, 'code', 'pattern', '3-64 letters, digits, _ or -, starting with a letter or digit');
  return normalized;
}

export function throwIfErrors(errors: FieldError[]): void {
  if (errors.length) throw badRequest('validation_failed', { errors });
}
