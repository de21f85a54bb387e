/**
 * Stripe's request encoding, read back: `application/x-www-form-urlencoded` with bracketed keys
 * (`line_items[0][price_data][currency]=usd`, `expand[0]=latest_charge`), as the SDK writes it.
 * Keys whose children are all integers become arrays, like Stripe's own parser.
 */
export type FormValue = string | FormValue[] | { [k: string]: FormValue };

export function parseStripeForm(text: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = rawKey.replace(/\]/g, '').split('[');
    let node: Record<string, FormValue> = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part === '__proto__' || part === 'constructor' || part === 'prototype') break;
      if (i === parts.length - 1) {
        node[part] = value;
      } else {
        const next = node[part];
        if (typeof next !== 'object' || next === null) node[part] = {};
        node = node[part] as Record<string, FormValue>;
      }
    }
  }
  return arrays(root) as Record<string, FormValue>;
}

function arrays(v: FormValue): FormValue {
  if (typeof v === 'string' || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  const converted: Record<string, FormValue> = {};
  for (const k of keys) converted[k] = arrays(v[k]);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => converted[k]);
  }
  return converted;
}

/** Typed readers for a parsed form (Stripe answers 400 `parameter_invalid_*` to wrong types). */
export const form = {
  str(v: FormValue | undefined): string | undefined {
    return typeof v === 'string' ? v : undefined;
  },
  int(v: FormValue | undefined): number | undefined {
    return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : undefined;
  },
  obj(v: FormValue | undefined): Record<string, FormValue> | undefined {
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
  },
  list(v: FormValue | undefined): FormValue[] {
    return Array.isArray(v) ? v : [];
  },
  /** Metadata: a flat string map. */
  meta(v: FormValue | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    const o = form.obj(v);
    if (o) for (const [k, val] of Object.entries(o)) if (typeof val === 'string') out[k] = val;
    return out;
  },
};
