import { createHmac } from 'node:crypto';
import { safeEqual } from '../../../../core/crypto.js';
import { WebhookSignatureError } from '../contract.js';

/**
 * Mercado Pago's webhook signature (Your integrations > Webhooks > secret signature), as its
 * documentation describes it:
 * - header `x-signature: ts=<ts>,v1=<hex>`; header `x-request-id`; query `data.id`;
 * - manifest `id:<data.id>;request-id:<x-request-id>;ts:<ts>;`, each part left out when its value
 *   is absent, and `data.id` in lower case when alphanumeric (Mercado Pago signs the lowered id,
 *   while the URL may carry it upper case);
 * - v1 = hex HMAC-SHA256 of the manifest keyed with the secret.
 */
export interface SignatureParts {
  dataId?: string;
  requestId?: string;
  ts: string;
}

export function manifestOf({ dataId, requestId, ts }: SignatureParts): string {
  let m = '';
  if (dataId) m += `id:${dataId.toLowerCase()};`;
  if (requestId) m += `request-id:${requestId};`;
  return `${m}ts:${ts};`;
}

export function signManifest(secret: string, parts: SignatureParts): string {
  return createHmac('sha256', secret).update(manifestOf(parts)).digest('hex');
}

/** `ts=…,v1=…` into its parts (order and spaces do not matter; unknown keys are ignored). */
export function parseSignatureHeader(header: string): { ts?: string; v1?: string } {
  const out: { ts?: string; v1?: string } = {};
  for (const piece of header.split(',')) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    const key = piece.slice(0, eq).trim().toLowerCase();
    const value = piece.slice(eq + 1).trim();
    if (key === 'ts') out.ts = value;
    else if (key === 'v1') out.v1 = value;
  }
  return out;
}

/** Mercado Pago's ts is milliseconds since the epoch (older notifications: seconds). */
export function tsToMs(ts: string): number {
  const n = Number(ts);
  return n < 1e12 ? n * 1000 : n;
}

const one = (v: string | string[] | undefined): string | undefined => {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined ? undefined : s.trim() || undefined;
};

/**
 * Checks a delivery's signature; throws WebhookSignatureError. The HMAC is compared in
 * constant time, and a timestamp further than `toleranceSeconds` from `now` is refused, so a
 * captured request cannot be replayed later.
 */
export function verifySignature(opts: {
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  dataId?: string;
  toleranceSeconds: number;
  now?: number;
}): SignatureParts {
  const header = one(opts.headers['x-signature']);
  if (!header) throw new WebhookSignatureError('missing_signature');
  const { ts, v1 } = parseSignatureHeader(header);
  if (!ts || !/^\d{1,16}$/.test(ts) || !v1) throw new WebhookSignatureError('malformed', 'x-signature lacks ts or v1');
  const parts: SignatureParts = { dataId: opts.dataId || undefined, requestId: one(opts.headers['x-request-id']), ts };
  if (!safeEqual(v1.toLowerCase(), signManifest(opts.secret, parts))) throw new WebhookSignatureError('bad_signature');
  const drift = Math.abs((opts.now ?? Date.now()) - tsToMs(ts)) / 1000;
  if (drift > opts.toleranceSeconds) throw new WebhookSignatureError('stale_timestamp', `timestamp ${ts} is ${Math.round(drift)} s away`);
  return parts;
}
